-- Up Migration

-- C6 four eyes from the staff console: a person signed in with a console account requests or authorises a mandate
-- (staff tokens stay for the API). The account that requested a mandate never authorises it, also in the database.
ALTER TABLE mandates ADD COLUMN requested_by_account uuid REFERENCES staff_accounts (id);
ALTER TABLE mandates ADD COLUMN authorisation_decided_by_account uuid REFERENCES staff_accounts (id);
-- The token rule (0009) compared NULL with NULL as "the same token": a request of an account, authorised by another
-- account, has no token on either side. It holds now only where the request has a token.
ALTER TABLE mandates DROP CONSTRAINT mandates_authorised_by_another;
ALTER TABLE mandates ADD CONSTRAINT mandates_authorised_by_another CHECK (
  authorisation IS DISTINCT FROM 'authorised' OR requested_by_token IS NULL OR authorisation_decided_by_token IS DISTINCT FROM requested_by_token
);
ALTER TABLE mandates ADD CONSTRAINT mandates_authorised_by_another_account CHECK (
  authorisation IS DISTINCT FROM 'authorised' OR requested_by_account IS NULL OR authorisation_decided_by_account IS DISTINCT FROM requested_by_account
);

-- Down Migration
ALTER TABLE mandates DROP CONSTRAINT mandates_authorised_by_another_account;
ALTER TABLE mandates DROP CONSTRAINT mandates_authorised_by_another;
ALTER TABLE mandates ADD CONSTRAINT mandates_authorised_by_another CHECK (
  authorisation IS DISTINCT FROM 'authorised' OR authorisation_decided_by_token IS DISTINCT FROM requested_by_token
);
ALTER TABLE mandates DROP COLUMN authorisation_decided_by_account;
ALTER TABLE mandates DROP COLUMN requested_by_account;
