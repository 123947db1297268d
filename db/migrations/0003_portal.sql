-- Up Migration

-- A6: each client organisation's contact persons get portal access.
CREATE TABLE contact_persons (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id  uuid NOT NULL REFERENCES organisations (id),
  name             text NOT NULL,
  email            text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organisation_id, email)
);

-- Portal login links: 256-bit tokens, stored only as a hash, single use, expiring, revocable per client.
CREATE TABLE portal_tokens (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_person_id  uuid NOT NULL REFERENCES contact_persons (id),
  organisation_id    uuid NOT NULL REFERENCES organisations (id),
  token_hash         bytea NOT NULL UNIQUE,
  expires_at         timestamptz NOT NULL,
  used_at            timestamptz,
  revoked_at         timestamptz,
  created_by         text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- A redeemed link becomes a short-lived portal session (HttpOnly cookie; only the hash is stored).
CREATE TABLE portal_sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_hash       bytea NOT NULL UNIQUE,
  portal_token_id    uuid NOT NULL REFERENCES portal_tokens (id),
  contact_person_id  uuid NOT NULL REFERENCES contact_persons (id),
  organisation_id    uuid NOT NULL REFERENCES organisations (id),
  expires_at         timestamptz NOT NULL,
  revoked_at         timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);

-- C5: the hub files with its own certificate(s) or with a service provider's; A3: the portal needs its own.
ALTER TABLE hubs ADD COLUMN certificate_mode text NOT NULL DEFAULT 'own' CHECK (certificate_mode IN ('own', 'service-provider'));
ALTER TABLE hubs ADD COLUMN portal_enabled boolean NOT NULL DEFAULT false;
-- Where escalations go when a client has not decided close to the deadline.
ALTER TABLE hubs ADD COLUMN accountant_email text;
ALTER TABLE hubs ADD CONSTRAINT hubs_portal_needs_own_certificate CHECK (NOT portal_enabled OR certificate_mode = 'own');

-- The client's decisions, bound to the exact content (its hash): a changed filing needs a new approval.
CREATE TABLE approval_decisions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id         uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  content_sha256     text NOT NULL,
  decision           text NOT NULL CHECK (decision IN ('approved', 'rejected', 'adopted')),
  reason             text,
  contact_person_id  uuid REFERENCES contact_persons (id),
  decided_via        text NOT NULL CHECK (decided_via IN ('portal', 'operator')),
  decided_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approval_decisions_message ON approval_decisions (message_id, decided_at);

-- Deadlines and reminders of filings that wait for the client.
ALTER TABLE messages ADD COLUMN due_date date;
ALTER TABLE messages ADD COLUMN reminder_state text;

-- Portal notices (the client sees them after logging in) and the e-mail outbox (sent by SMTP when configured).
CREATE TABLE portal_notices (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id  uuid NOT NULL REFERENCES organisations (id),
  message_id       uuid REFERENCES messages (id) ON DELETE CASCADE,
  kind             text NOT NULL,
  text             text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- One notice per filing and reminder moment, however often the activity runs.
  UNIQUE (message_id, kind)
);

CREATE TABLE email_outbox (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dedupe_key     text NOT NULL UNIQUE,
  hub_id         uuid REFERENCES hubs (id),
  message_id     uuid REFERENCES messages (id) ON DELETE SET NULL,
  -- A contact person's mail gets a personal portal login link, minted only when it is sent (no token kept here).
  login_contact_person_id uuid REFERENCES contact_persons (id),
  recipient      text NOT NULL,
  subject        text NOT NULL,
  body           text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  sent_at        timestamptz,
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text
);
CREATE INDEX email_outbox_hub ON email_outbox (hub_id, created_at);

-- Down Migration
DROP TABLE email_outbox;
DROP TABLE portal_notices;
ALTER TABLE messages DROP COLUMN reminder_state;
ALTER TABLE messages DROP COLUMN due_date;
DROP TABLE approval_decisions;
ALTER TABLE hubs DROP CONSTRAINT hubs_portal_needs_own_certificate;
ALTER TABLE hubs DROP COLUMN accountant_email;
ALTER TABLE hubs DROP COLUMN portal_enabled;
ALTER TABLE hubs DROP COLUMN certificate_mode;
DROP TABLE portal_sessions;
DROP TABLE portal_tokens;
DROP TABLE contact_persons;
