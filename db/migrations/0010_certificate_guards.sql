-- Up Migration

-- Deleting a certificate destroys its key material: the sealed PKCS#12 and passphrase (one sealed blob) and its key id
-- go; the metadata row stays for history (messages and mandates still name it). A certificate still installed always
-- has its key material. Certificates deleted before this migration lose theirs now.
ALTER TABLE certificates ALTER COLUMN sealed DROP NOT NULL;
ALTER TABLE certificates ALTER COLUMN key_id DROP NOT NULL;
UPDATE certificates SET sealed = NULL, key_id = NULL WHERE deleted_at IS NOT NULL;
ALTER TABLE certificates ADD CONSTRAINT certificates_key_material_while_installed
  CHECK (deleted_at IS NOT NULL OR (sealed IS NOT NULL AND key_id IS NOT NULL));
ALTER TABLE certificates ADD CONSTRAINT certificates_no_key_material_once_deleted
  CHECK (deleted_at IS NULL OR (sealed IS NULL AND key_id IS NULL));

-- C3: the firm name the register printed on the client's letter, kept beside the name the accountant confirmed
-- (letter_name, never overwritten by the register), and why a person must look when the two differ.
ALTER TABLE mandates ADD COLUMN register_letter_name text;
ALTER TABLE mandates ADD COLUMN letter_name_problem text;
CREATE INDEX mandates_letter_name_problem ON mandates (hub_id) WHERE letter_name_problem IS NOT NULL;

-- C7: the runbook proposed now for an expiring certificate (the warnings keep what was proposed when they were made).
-- Recomputed by the expiry watch and whenever a certificate is uploaded.
CREATE TABLE certificate_expiry_proposals (
  certificate_id              uuid PRIMARY KEY REFERENCES certificates (id),
  proposal                    text CHECK (proposal IN ('RB4', 'RB5')),
  replacement_certificate_id  uuid REFERENCES certificates (id),
  text                        text NOT NULL,
  computed_at                 timestamptz NOT NULL DEFAULT now(),
  CHECK ((proposal IS NULL) = (replacement_certificate_id IS NULL))
);

-- Down Migration
DROP TABLE certificate_expiry_proposals;
DROP INDEX mandates_letter_name_problem;
ALTER TABLE mandates DROP COLUMN letter_name_problem;
ALTER TABLE mandates DROP COLUMN register_letter_name;
ALTER TABLE certificates DROP CONSTRAINT certificates_no_key_material_once_deleted;
ALTER TABLE certificates DROP CONSTRAINT certificates_key_material_while_installed;
