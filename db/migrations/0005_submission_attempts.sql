-- Up Migration

-- Every aanleveren attempt is a record of its own (filings and mandate messages alike): its aanleverkenmerk, the
-- kenmerk Digipoort gave it, when it started and finished, and how it ended. Statuses correlate to the attempt and,
-- through it, to its message (H5); a kenmerk on any attempt is claimed and never a reconcile candidate or an ONB.
CREATE TABLE submission_attempts (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  message_id          uuid REFERENCES messages (id) ON DELETE CASCADE,
  mandate_message_id  uuid REFERENCES mandate_messages (id) ON DELETE CASCADE,
  attempt             integer NOT NULL CHECK (attempt >= 1),
  hub_id              uuid REFERENCES hubs (id),
  -- The submission lane: what getProcessen can confuse (berichtsoort and belanghebbende).
  berichtsoort        text NOT NULL,
  identity_type       text NOT NULL,
  identity_number     text NOT NULL,
  certificate_id      uuid REFERENCES certificates (id),
  -- The sender's certificate identity (subject serialNumber) Digipoort authenticated.
  sender_identity     text NOT NULL,
  aanleverkenmerk     text NOT NULL UNIQUE,
  started_at          timestamptz NOT NULL DEFAULT now(),
  finished_at         timestamptz,
  -- sent: Digipoort answered with its kenmerk; adopted: reconcile (or a person) found the attempt's process;
  -- refused: a fault, nothing accepted; not-sent: provably never reached Digipoort; absent: no process after the
  -- grace period (or a person allowed a resend); abandoned: its message stopped owning it (see the detail).
  outcome             text CHECK (outcome IN ('sent', 'adopted', 'refused', 'not-sent', 'absent', 'abandoned')),
  kenmerk             text UNIQUE,
  -- Digipoort's tijdstempelAangeleverd (legal receipt time), or the first status of an adopted process.
  delivered_at        timestamptz,
  detail              text,
  -- Set while a person must decide: exactly why reconcile could not (the attempt stays open and holds its lane).
  in_doubt_reason     text,
  CHECK ((message_id IS NULL) <> (mandate_message_id IS NULL)),
  CHECK ((finished_at IS NULL) = (outcome IS NULL)),
  UNIQUE (message_id, attempt),
  UNIQUE (mandate_message_id, attempt)
);
-- The lane: at most one attempt per berichtsoort and belanghebbende between its durable intent and its recorded
-- outcome, so a reconcile never sees another attempt's process as a candidate.
CREATE UNIQUE INDEX submission_attempts_lane_in_flight ON submission_attempts (berichtsoort, identity_type, identity_number)
  WHERE finished_at IS NULL;
CREATE INDEX submission_attempts_lane ON submission_attempts (berichtsoort, identity_number, started_at);
CREATE INDEX submission_attempts_message ON submission_attempts (message_id, attempt) WHERE message_id IS NOT NULL;
CREATE INDEX submission_attempts_mandate_message ON submission_attempts (mandate_message_id, attempt) WHERE mandate_message_id IS NOT NULL;

-- Statuses belong to the attempt whose process they report.
ALTER TABLE digipoort_statuses ADD COLUMN attempt_id uuid REFERENCES submission_attempts (id) ON DELETE SET NULL;

-- What is already on record becomes attempts: every message that went out (its current attempt), open where it is
-- still in doubt. Two messages of one lane both in doubt (possible before lanes existed) keep only the first open;
-- the other opens its attempt when the lane is free.
INSERT INTO submission_attempts (message_id, attempt, hub_id, berichtsoort, identity_type, identity_number, certificate_id,
    sender_identity, aanleverkenmerk, started_at, finished_at, outcome, kenmerk, delivered_at)
  SELECT m.id, greatest(m.attempt, 1), m.hub_id, m.berichtsoort, m.identity_type, m.identity_number, m.certificate_id,
         coalesce(c.subject_serial_number, 'unknown'), m.aanleverkenmerk, coalesce(m.attempt_started_at, m.created_at),
         CASE WHEN m.delivery_state IN ('submitting', 'needs_human') THEN NULL ELSE coalesce(m.submitted_at, m.last_status_change_at) END,
         CASE WHEN m.delivery_state IN ('submitting', 'needs_human') THEN NULL WHEN m.kenmerk IS NOT NULL THEN 'sent' ELSE 'refused' END,
         m.kenmerk, m.submitted_at
    FROM messages m LEFT JOIN certificates c ON c.id = m.certificate_id
   WHERE m.direction = 'outgoing' AND m.aanleverkenmerk IS NOT NULL
     AND (m.delivery_state IN ('submitting', 'needs_human') OR m.kenmerk IS NOT NULL OR m.delivery_state = 'failed')
  ON CONFLICT DO NOTHING;
INSERT INTO submission_attempts (mandate_message_id, attempt, hub_id, berichtsoort, identity_type, identity_number, certificate_id,
    sender_identity, aanleverkenmerk, started_at, finished_at, outcome, kenmerk, delivered_at)
  SELECT x.id, greatest(x.attempt, 1), y.hub_id, x.berichtsoort, 'Fi', y.fiscal_number, x.certificate_id,
         coalesce(c.subject_serial_number, 'unknown'), x.aanleverkenmerk, coalesce(x.attempt_started_at, x.created_at),
         CASE WHEN x.delivery_state IN ('submitting', 'needs_human') THEN NULL ELSE coalesce(x.submitted_at, x.created_at) END,
         CASE WHEN x.delivery_state IN ('submitting', 'needs_human') THEN NULL WHEN x.kenmerk IS NOT NULL THEN 'sent' ELSE 'refused' END,
         x.kenmerk, x.submitted_at
    FROM mandate_messages x JOIN mandates y ON y.id = x.mandate_id LEFT JOIN certificates c ON c.id = x.certificate_id
   WHERE x.aanleverkenmerk IS NOT NULL AND (x.delivery_state IN ('submitting', 'needs_human') OR x.kenmerk IS NOT NULL OR x.delivery_state = 'failed')
  ON CONFLICT DO NOTHING;
UPDATE digipoort_statuses s SET attempt_id = a.id FROM submission_attempts a WHERE a.kenmerk = s.kenmerk;

-- Down Migration
ALTER TABLE digipoort_statuses DROP COLUMN attempt_id;
DROP TABLE submission_attempts;
