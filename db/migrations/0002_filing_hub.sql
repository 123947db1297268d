-- Up Migration

-- A hub: the one environment of a firm that talks to the authorities (the Dutch "communicatieomgeving").
CREATE TABLE hubs (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- A8: environment code O12345AA has participant number 12345; administrations address the hub by it.
  environment_code         text NOT NULL UNIQUE CHECK (environment_code ~ '^O[0-9]{5}[A-Z]{2}$'),
  participant_number       text NOT NULL UNIQUE CHECK (participant_number ~ '^[0-9]{5}$'),
  name                     text NOT NULL,
  -- H8 [ours]: the send/receive schedule interval, per hub.
  send_receive_interval_seconds integer NOT NULL DEFAULT 60 CHECK (send_receive_interval_seconds BETWEEN 5 AND 86400),
  -- A7: sender addresses (IP or CIDR) allowed on the connector; empty = any.
  connector_allowlist      text[] NOT NULL DEFAULT '{}',
  -- The next message number (H5: every message gets a unique number per hub).
  next_message_number      bigint NOT NULL DEFAULT 1,
  created_at               timestamptz NOT NULL DEFAULT now(),
  -- A hub that is gone: its administrations' messages are held as "needs action" (H12).
  deleted_at               timestamptz
);

-- A client's bookkeeping environment; it prepares filings and sees their status (H3).
CREATE TABLE administrations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id            uuid NOT NULL REFERENCES hubs (id),
  name              text NOT NULL,
  -- The organisation this administration keeps the books of (A5 routing checks filings against it).
  organisation_id   uuid,
  -- H3: where the hub pushes status changes; signed with callback_secret (HMAC-SHA256).
  callback_url      text,
  callback_secret   text,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- A client organisation with its identifiers (A5): OB number for VAT routing, KvK number for KvK routing.
CREATE TABLE organisations (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id       uuid NOT NULL REFERENCES hubs (id),
  name         text NOT NULL,
  ob_number    text CHECK (ob_number ~ '^[0-9]{9}B[0-9]{2}$'),
  kvk_number   text CHECK (kvk_number ~ '^[0-9]{8}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hub_id, ob_number),
  UNIQUE (hub_id, kvk_number)
);
ALTER TABLE administrations ADD CONSTRAINT administrations_organisation_fk FOREIGN KEY (organisation_id) REFERENCES organisations (id);

-- A4: each message type is blocked or unblocked per hub and linked to an approval workflow.
CREATE TABLE message_types (
  hub_id             uuid NOT NULL REFERENCES hubs (id),
  kind               text NOT NULL,
  blocked            boolean NOT NULL DEFAULT false,
  approval_workflow  text NOT NULL DEFAULT 'none' CHECK (approval_workflow IN ('none', 'portal')),
  PRIMARY KEY (hub_id, kind)
);

-- A7: connector tokens of administrations, per licence (the whole hub) or per client; only a hash is stored.
CREATE TABLE connector_tokens (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id             uuid NOT NULL REFERENCES hubs (id),
  scope              text NOT NULL CHECK (scope IN ('licence', 'administration')),
  administration_id  uuid REFERENCES administrations (id),
  token_hash         bytea NOT NULL UNIQUE,
  description        text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  revoked_at         timestamptz,
  CHECK ((scope = 'administration') = (administration_id IS NOT NULL))
);

-- The firm's certificates, PKCS#12 and passphrase encrypted at rest (key id for rotation); never in Temporal.
CREATE TABLE certificates (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id               uuid NOT NULL REFERENCES hubs (id),
  label                text NOT NULL,
  key_id               text NOT NULL,
  sealed               bytea NOT NULL,
  subject              text NOT NULL,
  subject_serial_number text NOT NULL,
  kvk_number           text,
  organisation_name    text,
  issuer               text NOT NULL,
  serial_number        text NOT NULL,
  fingerprint256       text NOT NULL,
  valid_from           timestamptz NOT NULL,
  valid_to             timestamptz NOT NULL,
  is_work_certificate  boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  deleted_at           timestamptz,
  UNIQUE (hub_id, fingerprint256)
);
-- C2: exactly one work certificate per hub.
CREATE UNIQUE INDEX certificates_one_work_certificate ON certificates (hub_id) WHERE is_work_certificate AND deleted_at IS NULL;

-- Messages: outgoing filings (one row per version) and incoming return messages that matched nothing (ONB, H7).
CREATE TABLE messages (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- NULL while the message waits as "needs action" for a hub (H12).
  hub_id               uuid REFERENCES hubs (id),
  number               bigint,
  direction            text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
  subtype              text CHECK (subtype IN ('ONB')),
  administration_id    uuid REFERENCES administrations (id),
  organisation_id      uuid REFERENCES organisations (id),
  kind                 text NOT NULL,
  berichtsoort         text NOT NULL,
  period               text,
  -- A filing's versions share a key; a new version supersedes an unsent older one (H11).
  filing_key           text,
  version              integer NOT NULL DEFAULT 1,
  -- K4 lifecycle code (0..90) and the raw Digipoort code beside it.
  lifecycle            integer CHECK (lifecycle IN (0, 5, 10, 20, 25, 30, 40, 50, 60, 70, 80, 90)),
  digipoort_status     text,
  digipoort_status_at  timestamptz,
  -- Where the delivery stands: ready to send, durably "submitting" before every aanleveren, submitted (kenmerk),
  -- final, failed (can be reset, H10), needs_human (ambiguous reconcile), superseded (H11).
  delivery_state       text NOT NULL CHECK (delivery_state IN ('held', 'ready', 'submitting', 'submitted', 'final', 'failed', 'needs_human', 'superseded', 'received')),
  do_not_send          boolean NOT NULL DEFAULT false,
  approval_required    boolean NOT NULL DEFAULT false,
  identity_number      text NOT NULL,
  identity_type        text NOT NULL,
  role                 text NOT NULL DEFAULT 'Bedrijf',
  input                jsonb,
  content_xml          text,
  content_sha256       text,
  aanleverkenmerk      text,
  kenmerk              text,
  submitted_at         timestamptz,
  attempt              integer NOT NULL DEFAULT 0,
  attempt_started_at   timestamptz,
  certificate_id       uuid REFERENCES certificates (id),
  workflow_id          text,
  workflow_closed_at   timestamptz,
  needs_action_reason  text,
  resolution           text,
  resolved_at          timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  last_status_change_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hub_id, number),
  UNIQUE (filing_key, version),
  UNIQUE (kenmerk),
  -- Only filings have a lifecycle; an incoming return message (ONB) has none.
  CHECK (direction = 'incoming' OR lifecycle IS NOT NULL)
);
CREATE INDEX messages_hub_lifecycle ON messages (hub_id, lifecycle);
CREATE INDEX messages_open ON messages (hub_id, delivery_state) WHERE delivery_state IN ('submitting', 'submitted');

-- H14: the content and every attachment of a message stay downloadable.
CREATE TABLE message_attachments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id  uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  direction   text NOT NULL CHECK (direction IN ('outgoing', 'incoming')),
  filename    text NOT NULL,
  mime_type   text NOT NULL,
  content     bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Raw Digipoort statuses (the inbox): stored once, whatever the number of fetches.
CREATE TABLE digipoort_statuses (
  id                 bigserial PRIMARY KEY,
  message_id         uuid REFERENCES messages (id) ON DELETE CASCADE,
  hub_id             uuid REFERENCES hubs (id),
  kenmerk            text NOT NULL,
  statuscode         text NOT NULL,
  tijdstempel_status timestamptz NOT NULL,
  statusomschrijving text NOT NULL,
  foutcode           text,
  foutbeschrijving   text,
  statusdetails      text,
  received_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kenmerk, statuscode, tijdstempel_status)
);
CREATE INDEX digipoort_statuses_message ON digipoort_statuses (message_id, tijdstempel_status);

-- H13: the communication log: environment, procedure step, level I (info) or F (error), full text.
CREATE TABLE communication_log (
  id              bigserial PRIMARY KEY,
  hub_id          uuid REFERENCES hubs (id),
  environment     text NOT NULL,
  message_id      uuid REFERENCES messages (id) ON DELETE SET NULL,
  message_number  bigint,
  procedure_step  text NOT NULL,
  level           char(1) NOT NULL CHECK (level IN ('I', 'F')),
  text            text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communication_log_hub ON communication_log (hub_id, id DESC);

-- H8: one send/receive run per hub at a time; a dead run's lock lapses after 30 minutes.
CREATE TABLE send_receive_locks (
  hub_id      uuid PRIMARY KEY REFERENCES hubs (id),
  run_id      text NOT NULL,
  locked_at   timestamptz NOT NULL
);

-- H15: every cleanup is recorded: who, when, how many, which.
CREATE TABLE cleanup_records (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id          uuid NOT NULL REFERENCES hubs (id),
  requested_by    text NOT NULL,
  dry_run         boolean NOT NULL,
  fiscal_override boolean NOT NULL,
  older_than_days integer NOT NULL,
  message_count   integer NOT NULL,
  attachment_count integer NOT NULL,
  message_numbers bigint[] NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);

-- Staff tokens may be limited to one hub (an accountant of firm X never sees firm Y); NULL = every hub.
ALTER TABLE staff_tokens ADD COLUMN hub_id uuid REFERENCES hubs (id);

-- Down Migration
ALTER TABLE staff_tokens DROP COLUMN hub_id;
DROP TABLE cleanup_records;
DROP TABLE send_receive_locks;
DROP TABLE communication_log;
DROP TABLE digipoort_statuses;
DROP TABLE message_attachments;
DROP TABLE messages;
DROP TABLE certificates;
DROP TABLE connector_tokens;
DROP TABLE message_types;
ALTER TABLE administrations DROP CONSTRAINT administrations_organisation_fk;
DROP TABLE organisations;
DROP TABLE administrations;
DROP TABLE hubs;
