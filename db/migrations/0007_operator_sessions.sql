-- Up Migration

-- Operators signed in at the API to use the Temporal Web UI it serves under /temporal/ (and its codec, which
-- decodes only for them). The cookie holds a random token; only its SHA-256 is stored. A revoked staff token ends
-- its sessions with it.
CREATE TABLE operator_sessions (
  token_hash      bytea PRIMARY KEY,
  staff_token_id  uuid NOT NULL REFERENCES staff_tokens (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  ended_at        timestamptz
);
CREATE INDEX operator_sessions_token ON operator_sessions (staff_token_id);

-- Down Migration
DROP TABLE operator_sessions;
