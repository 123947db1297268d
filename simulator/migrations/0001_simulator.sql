-- Up Migration

-- Every accepted aanleveren: one process, with the status plan the clock reveals step by step.
CREATE TABLE sim_processes (
  kenmerk                 uuid PRIMARY KEY,
  berichtsoort            text NOT NULL,
  aanleverkenmerk         text,
  eerder_aanleverkenmerk  text,
  belanghebbende_nummer   text NOT NULL,
  belanghebbende_type     text NOT NULL,
  rol_belanghebbende      text NOT NULL,
  ontvanger_nummer        text NOT NULL,
  ontvanger_type          text NOT NULL,
  autorisatie_adres       text,
  delivered_at            timestamptz NOT NULL,
  -- Who sent it: the certificate subject serialNumber (OIN/HRN) and fingerprint of the TLS client certificate.
  sender_identity         text NOT NULL,
  sender_fingerprint      text NOT NULL,
  sender_organisation     text,
  signature_algorithm     text NOT NULL,
  digest_algorithm        text NOT NULL,
  request_message_id      text NOT NULL,
  bestandsnaam            text NOT NULL,
  mime_type               text NOT NULL,
  content_sha256          text NOT NULL,
  content_bytes           integer NOT NULL,
  attachment_count        integer NOT NULL DEFAULT 0,
  -- [{ code, description, offsetMs, foutcode?, foutbeschrijving?, details? }]
  plan                    jsonb NOT NULL
);
CREATE INDEX sim_processes_lookup ON sim_processes (berichtsoort, belanghebbende_nummer, sender_identity);
CREATE INDEX sim_processes_aanleverkenmerk ON sim_processes (aanleverkenmerk);

-- getNieuwe* cursors: how many statuses of a process a caller (certificate fingerprint) has already fetched.
CREATE TABLE sim_cursors (
  caller_fingerprint  text NOT NULL,
  kenmerk             uuid NOT NULL REFERENCES sim_processes (kenmerk) ON DELETE CASCADE,
  delivered           integer NOT NULL,
  PRIMARY KEY (caller_fingerprint, kenmerk)
);

-- Which sender identity may file which berichtsoort for which belanghebbende ('*' = any).
CREATE TABLE sim_registrations (
  id                serial PRIMARY KEY,
  sender_identity   text NOT NULL,
  berichtsoort      text NOT NULL,
  belanghebbende    text NOT NULL,
  note              text,
  UNIQUE (sender_identity, berichtsoort, belanghebbende)
);

-- Requests the simulator refused, for the admin view and for tests.
CREATE TABLE sim_rejections (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  operation   text,
  reason      text NOT NULL,
  sender_fingerprint text
);

-- Down Migration
DROP TABLE sim_rejections;
DROP TABLE sim_registrations;
DROP TABLE sim_cursors;
DROP TABLE sim_processes;
