-- Up Migration

-- Staff API bearer tokens: only a SHA-256 hash is stored; a token is shown once when it is created.
CREATE TABLE staff_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Connectivity checks: the first workflow writes here to prove API -> Temporal -> worker -> PostgreSQL.
CREATE TABLE platform_checks (
  id            text PRIMARY KEY,
  label         text NOT NULL,
  workflow_id   text NOT NULL UNIQUE,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  run_id        text,
  activity_attempt integer,
  completed_at  timestamptz
);

-- Down Migration
DROP TABLE platform_checks;
DROP TABLE staff_tokens;
