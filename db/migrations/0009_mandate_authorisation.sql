-- Up Migration

-- C6 (seed 000, "autoriseren" / "vrijgeven"): a hub may require that every mandate request made through the staff
-- API waits until a second person authorises it; only then is it released and sent. Off by default.
ALTER TABLE hubs ADD COLUMN mandate_authorisation_required boolean NOT NULL DEFAULT false;

-- Who asked for the mandate (the staff token; NULL for a runbook's re-request or a request from before this column),
-- and, when the hub required it, where its authorisation stands: awaiting (held, nothing sent), authorised
-- (released) or refused (REJECTED, nothing sent). NULL: no authorisation was required.
ALTER TABLE mandates ADD COLUMN requested_by_token uuid REFERENCES staff_tokens (id);
ALTER TABLE mandates ADD COLUMN authorisation text CHECK (authorisation IN ('awaiting', 'authorised', 'refused'));
ALTER TABLE mandates ADD COLUMN authorisation_decided_by text;
ALTER TABLE mandates ADD COLUMN authorisation_decided_by_token uuid REFERENCES staff_tokens (id);
ALTER TABLE mandates ADD COLUMN authorisation_decided_at timestamptz;
ALTER TABLE mandates ADD COLUMN authorisation_reason text;
-- Four eyes, also in the database: the token that requested a mandate never authorises it.
ALTER TABLE mandates ADD CONSTRAINT mandates_authorised_by_another CHECK (
  authorisation IS DISTINCT FROM 'authorised' OR authorisation_decided_by_token IS DISTINCT FROM requested_by_token
);
CREATE INDEX mandates_awaiting_authorisation ON mandates (hub_id) WHERE authorisation = 'awaiting';

-- C6 (seed 000, "vertrekkende cliënten"): one departure per client. Its workflow ends the client's portal access and
-- revokes every mandate of the client, waiting for each to settle; this row is its progress and its outcome.
CREATE TABLE client_departures (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id             uuid NOT NULL REFERENCES hubs (id),
  organisation_id    uuid NOT NULL UNIQUE REFERENCES organisations (id),
  workflow_id        text NOT NULL UNIQUE,
  requested_by       text NOT NULL,
  phase              text NOT NULL CHECK (phase IN ('starting', 'ending-portal-access', 'revoking-mandates', 'completed', 'incomplete')),
  -- The client's mandates this departure revokes (ids), how many, and how many are settled so far.
  mandate_ids        uuid[] NOT NULL DEFAULT '{}',
  mandates_total     integer NOT NULL DEFAULT 0,
  mandates_settled   integer NOT NULL DEFAULT 0,
  portal_tokens_revoked   integer,
  portal_sessions_revoked integer,
  -- Per mandate how it ended (state, reason), written when the departure ends.
  outcome            jsonb,
  reason             text,
  runs               integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz
);
CREATE INDEX client_departures_hub ON client_departures (hub_id, created_at DESC);

-- Down Migration
DROP TABLE client_departures;
DROP INDEX mandates_awaiting_authorisation;
ALTER TABLE mandates DROP CONSTRAINT mandates_authorised_by_another;
ALTER TABLE mandates DROP COLUMN authorisation_reason;
ALTER TABLE mandates DROP COLUMN authorisation_decided_at;
ALTER TABLE mandates DROP COLUMN authorisation_decided_by_token;
ALTER TABLE mandates DROP COLUMN authorisation_decided_by;
ALTER TABLE mandates DROP COLUMN authorisation;
ALTER TABLE mandates DROP COLUMN requested_by_token;
ALTER TABLE hubs DROP COLUMN mandate_authorisation_required;
