-- Up Migration

-- C1: several certificates per hub is a feature switched on per hub; off, everything uses the work certificate.
ALTER TABLE hubs ADD COLUMN multi_certificate boolean NOT NULL DEFAULT false;

-- C5: an administration may file with the service provider's certificate instead (NULL: the hub's choice).
ALTER TABLE administrations ADD COLUMN certificate_mode text CHECK (certificate_mode IN ('own', 'service-provider'));

-- C3: the firm name the tax authority prints on mandate letters (the KvK registration behind the serial number).
ALTER TABLE certificates ADD COLUMN letter_name text;
-- C5: a service provider's certificate (at most one per hub); never the work certificate, never in a group.
ALTER TABLE certificates ADD COLUMN is_service_provider boolean NOT NULL DEFAULT false;
ALTER TABLE certificates ADD CONSTRAINT certificates_service_provider_not_work CHECK (NOT (is_service_provider AND is_work_certificate));
CREATE UNIQUE INDEX certificates_one_service_provider ON certificates (hub_id) WHERE is_service_provider AND deleted_at IS NULL;
-- Set by a runbook's "install" step once the sealed file opened in the worker and the certificate was valid.
ALTER TABLE certificates ADD COLUMN installed_at timestamptz;

-- C1: a named group holding (at most) one certificate; a Becon points at a group.
CREATE TABLE certificate_groups (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id          uuid NOT NULL REFERENCES hubs (id),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  certificate_id  uuid UNIQUE REFERENCES certificates (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hub_id, name)
);

-- C2 in the database too: the work certificate is never in a group, whichever side changes. Both triggers first take
-- the hub's certificate set-up lock (a transaction-scoped advisory lock), so two transactions that each change one
-- side cannot both pass their check on a snapshot without the other's change (write skew).
CREATE FUNCTION certificate_setup_lock(hub uuid) RETURNS void AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('certificate-setup:' || hub::text));
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION certificate_groups_refuse_work_certificate() RETURNS trigger AS $$
BEGIN
  IF NEW.certificate_id IS NOT NULL THEN
    PERFORM certificate_setup_lock(NEW.hub_id);
  END IF;
  IF NEW.certificate_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM certificates WHERE id = NEW.certificate_id AND is_work_certificate AND deleted_at IS NULL
  ) THEN
    RAISE EXCEPTION 'C2: Invalid certificate specified (the work certificate must not be in a group)' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER certificate_groups_c2 BEFORE INSERT OR UPDATE OF certificate_id ON certificate_groups
  FOR EACH ROW EXECUTE FUNCTION certificate_groups_refuse_work_certificate();

CREATE FUNCTION certificates_refuse_grouped_work_certificate() RETURNS trigger AS $$
BEGIN
  IF NEW.is_work_certificate THEN
    PERFORM certificate_setup_lock(NEW.hub_id);
  END IF;
  IF NEW.is_work_certificate AND EXISTS (SELECT 1 FROM certificate_groups WHERE certificate_id = NEW.id) THEN
    RAISE EXCEPTION 'C2: Invalid certificate specified (a certificate in a group cannot be the work certificate)' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER certificates_c2 BEFORE UPDATE OF is_work_certificate ON certificates
  FOR EACH ROW EXECUTE FUNCTION certificates_refuse_grouped_work_certificate();

-- The firm's Becon numbers; clients filed under a Becon communicate with its group's certificate (C1).
CREATE TABLE becons (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id      uuid NOT NULL REFERENCES hubs (id),
  number      text NOT NULL CHECK (number ~ '^[0-9]{5,6}$'),
  name        text NOT NULL,
  group_id    uuid REFERENCES certificate_groups (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hub_id, number)
);

-- A client's master data per year with its Becon (C4: the most recent year decides).
CREATE TABLE client_master_data (
  organisation_id  uuid NOT NULL REFERENCES organisations (id),
  year             integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  becon_id         uuid NOT NULL REFERENCES becons (id),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, year)
);

-- Certificate-change runbooks (RB1–RB5): the read model the runbook's activities write.
CREATE TABLE runbooks (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id                  uuid NOT NULL REFERENCES hubs (id),
  kind                    text NOT NULL CHECK (kind IN ('RB1', 'RB2', 'RB3', 'RB4', 'RB5')),
  primary_certificate_id  uuid NOT NULL REFERENCES certificates (id),
  certificate_ids         uuid[] NOT NULL,
  input                   jsonb NOT NULL,
  plan                    jsonb,
  phase                   text NOT NULL CHECK (phase IN ('planning', 'awaiting-confirmation', 'running', 'paused', 'completed', 'cancelled', 'failed')),
  steps                   jsonb NOT NULL DEFAULT '[]',
  current_step            text,
  progress                integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  reason                  text,
  workflow_id             text NOT NULL,
  -- The run this runbook is (a later runbook of the same certificate reuses the workflow id).
  workflow_run_id         text,
  created_by              text NOT NULL,
  confirmed_by            text,
  confirmed_at            timestamptz,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  finished_at             timestamptz
);
CREATE INDEX runbooks_hub ON runbooks (hub_id, created_at DESC);

-- Only one runbook per certificate at a time: a lock per certificate a runbook touches, released when it ends.
CREATE TABLE runbook_locks (
  certificate_id  uuid PRIMARY KEY REFERENCES certificates (id),
  runbook_id      uuid NOT NULL REFERENCES runbooks (id) ON DELETE CASCADE,
  locked_at       timestamptz NOT NULL DEFAULT now()
);

-- C6: SBA/VIA mandates, one row per request; one open mandate per client, service and year.
CREATE TABLE mandates (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hub_id                uuid NOT NULL REFERENCES hubs (id),
  organisation_id       uuid NOT NULL REFERENCES organisations (id),
  service               text NOT NULL CHECK (service IN ('SBA', 'VIA')),
  year                  integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  -- Doorlopend: covers `year` and every later year until revoked.
  continuing            boolean NOT NULL DEFAULT false,
  -- The n-th request for this client, service and year (a re-request after a revocation is the next one).
  sequence              integer NOT NULL,
  state                 text NOT NULL CHECK (state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE', 'REJECTED', 'REVOKED', 'EXPIRED')),
  certificate_id        uuid NOT NULL REFERENCES certificates (id),
  -- The intermediary identity the register knows the mandate under (KvK behind the certificate) and the C3 name.
  intermediary_kvk      text,
  letter_name           text,
  becon_id              uuid REFERENCES becons (id),
  fiscal_number         text NOT NULL,
  workflow_id           text NOT NULL UNIQUE,
  requested_by          text NOT NULL,
  runbook_id            uuid REFERENCES runbooks (id),
  replaces_mandate_id   uuid REFERENCES mandates (id),
  revoke_requested_at   timestamptz,
  revoke_requested_by   text,
  revoke_failed_reason  text,
  -- The last check of the register's answer could not be made (e.g. the certificate is expired or deleted): shown on
  -- the mandate and logged (F), never applied to its state. NULL once a check succeeds again.
  check_problem         text,
  reason                text,
  objection_deadline    timestamptz,
  state_changed_at      timestamptz NOT NULL DEFAULT now(),
  created_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organisation_id, service, year, sequence)
);
CREATE UNIQUE INDEX mandates_one_open ON mandates (organisation_id, service, year) WHERE state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE');
-- A runbook re-requests each revoked mandate once (a rejected re-request may be followed by another on retry).
CREATE UNIQUE INDEX mandates_one_replacement ON mandates (replaces_mandate_id) WHERE replaces_mandate_id IS NOT NULL AND state <> 'REJECTED';
CREATE INDEX mandates_hub ON mandates (hub_id, organisation_id);
CREATE INDEX mandates_certificate ON mandates (certificate_id) WHERE state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE');
-- The in-doubt guard looks up a client's other mandate messages by fiscal number.
CREATE INDEX mandates_fiscal_number ON mandates (fiscal_number);

-- The Digipoort messages of a mandate (request, activation code, revocation), each sent exactly once in effect:
-- a durable "submitting" record before every aanleveren, reconciled after an ambiguous outcome.
CREATE TABLE mandate_messages (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  mandate_id          uuid NOT NULL REFERENCES mandates (id),
  purpose             text NOT NULL CHECK (purpose IN ('request', 'activate', 'revoke')),
  berichtsoort        text NOT NULL,
  certificate_id      uuid NOT NULL REFERENCES certificates (id),
  content_xml         text NOT NULL,
  delivery_state      text NOT NULL CHECK (delivery_state IN ('ready', 'submitting', 'submitted', 'failed', 'needs_human')),
  aanleverkenmerk     text,
  kenmerk             text UNIQUE,
  attempt             integer NOT NULL DEFAULT 0,
  attempt_started_at  timestamptz,
  submitted_at        timestamptz,
  -- What the register answered for this message (provisional format: ONTVANGEN, ACTIEF, AFGEWEZEN, ...).
  outcome             text,
  outcome_reason      text,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mandate_messages_mandate ON mandate_messages (mandate_id, created_at);
-- Messages in doubt (the guard that keeps one message of a client in doubt at a time).
CREATE INDEX mandate_messages_in_doubt ON mandate_messages (delivery_state) WHERE delivery_state IN ('submitting', 'needs_human');
CREATE INDEX mandate_messages_certificate ON mandate_messages (certificate_id) WHERE delivery_state IN ('ready', 'submitting', 'submitted', 'needs_human');

-- C7: expiry warnings, one per certificate and threshold (60, 30, 7 days; 0 = expired), never repeated.
CREATE TABLE certificate_expiry_warnings (
  certificate_id  uuid NOT NULL REFERENCES certificates (id),
  threshold_days  integer NOT NULL CHECK (threshold_days IN (60, 30, 7, 0)),
  days_left       integer NOT NULL,
  proposal        text CHECK (proposal IN ('RB4', 'RB5')),
  replacement_certificate_id uuid REFERENCES certificates (id),
  text            text NOT NULL,
  warned_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate_id, threshold_days)
);

-- Down Migration
DROP TABLE certificate_expiry_warnings;
DROP TABLE mandate_messages;
DROP TABLE mandates;
DROP TABLE runbook_locks;
DROP TABLE runbooks;
DROP TABLE client_master_data;
DROP TABLE becons;
DROP TRIGGER certificates_c2 ON certificates;
DROP FUNCTION certificates_refuse_grouped_work_certificate();
DROP TRIGGER certificate_groups_c2 ON certificate_groups;
DROP FUNCTION certificate_groups_refuse_work_certificate();
DROP FUNCTION certificate_setup_lock(uuid);
DROP TABLE certificate_groups;
ALTER TABLE certificates DROP COLUMN installed_at;
DROP INDEX certificates_one_service_provider;
ALTER TABLE certificates DROP CONSTRAINT certificates_service_provider_not_work;
ALTER TABLE certificates DROP COLUMN is_service_provider;
ALTER TABLE certificates DROP COLUMN letter_name;
ALTER TABLE administrations DROP COLUMN certificate_mode;
ALTER TABLE hubs DROP COLUMN multi_certificate;
