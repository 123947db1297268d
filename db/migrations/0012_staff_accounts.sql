-- Up Migration

-- The staff console (/staff): people sign in with an e-mail address and a password (scrypt, parameters kept with
-- the hash so they can be raised later). An account sees only the hubs it is a member of, with a role per hub.
-- Staff bearer tokens stay for the API; these accounts do not replace them.
CREATE TABLE staff_accounts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email          text NOT NULL,
  name           text NOT NULL,
  password_hash  text NOT NULL,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  disabled_at    timestamptz
);
CREATE UNIQUE INDEX staff_accounts_email ON staff_accounts (lower(email));

CREATE TABLE staff_account_hubs (
  account_id  uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
  hub_id      uuid NOT NULL REFERENCES hubs (id),
  role        text NOT NULL CHECK (role IN ('accountant', 'admin')),
  PRIMARY KEY (account_id, hub_id)
);

-- Console sessions (@fastify/session's store): the cookie carries a random id; only its SHA-256 is stored, so a
-- copy of this table opens no session. Signing out deletes the row; an expired row opens nothing.
CREATE TABLE staff_sessions (
  sid_hash    bytea PRIMARY KEY,
  account_id  uuid REFERENCES staff_accounts (id) ON DELETE CASCADE,
  data        jsonb NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

-- Down Migration
DROP TABLE staff_sessions;
DROP TABLE staff_account_hubs;
DROP TABLE staff_accounts;
