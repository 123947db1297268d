-- Up Migration

-- VIA retrieval (seed 000, C4, C6): one row per request for a client's pre-filled income-tax data of one year, sent by
-- its `viaRetrieval` workflow under the client's ACTIVE VIA mandate, signed with the certificate of the client's Becon
-- in its latest year. The fiscal number is kept here (it is sent), never in Temporal.
CREATE TABLE via_retrievals (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  hub_id              uuid NOT NULL REFERENCES hubs (id),
  organisation_id     uuid NOT NULL REFERENCES organisations (id),
  year                integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  -- The n-th retrieval of this client and year.
  sequence            integer NOT NULL,
  -- The mandate it went under; NULL once that (settled) mandate record was deleted.
  mandate_id          uuid REFERENCES mandates (id) ON DELETE SET NULL,
  certificate_id      uuid NOT NULL REFERENCES certificates (id),
  becon_number        text,
  fiscal_number       text NOT NULL,
  state               text NOT NULL CHECK (state IN ('requested', 'submitted', 'retrieved', 'refused', 'failed')),
  workflow_id         text NOT NULL UNIQUE,
  requested_by        text NOT NULL,
  -- Attempts to send the request; a VIA request changes nothing at the tax authority, so an attempt whose outcome is
  -- unknown is simply followed by the next one.
  attempt             integer NOT NULL DEFAULT 0,
  aanleverkenmerk     text UNIQUE,
  kenmerk             text UNIQUE,
  -- refused: the tax authority's code (provisional format, e.g. GEEN_MACHTIGING); with `reason` its text.
  refusal_code        text,
  reason              text,
  -- The last look for the answer could not be made (Digipoort unreachable, certificate unusable); NULL once one works.
  check_problem       text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  submitted_at        timestamptz,
  finished_at         timestamptz,
  UNIQUE (organisation_id, year, sequence),
  CHECK ((state IN ('requested', 'submitted')) = (finished_at IS NULL))
);
-- One retrieval of a client and year at a time.
CREATE UNIQUE INDEX via_retrievals_one_running ON via_retrievals (organisation_id, year) WHERE state IN ('requested', 'submitted');
CREATE INDEX via_retrievals_hub ON via_retrievals (hub_id, organisation_id, created_at DESC);

-- The retrieved data per client and year, versioned: every successful retrieval adds the next version (the latest is
-- the current one), so a re-fetch never loses what an earlier one showed, nor when it was fetched.
CREATE TABLE via_data (
  organisation_id  uuid NOT NULL REFERENCES organisations (id),
  year             integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  version          integer NOT NULL CHECK (version >= 1),
  hub_id           uuid NOT NULL REFERENCES hubs (id),
  retrieval_id     uuid NOT NULL UNIQUE REFERENCES via_retrievals (id),
  data             jsonb NOT NULL,
  -- The answer document as received (statusdetails of the answer status).
  content_xml      text NOT NULL,
  -- The tax authority's time of the answer, and when the hub stored it.
  answered_at      timestamptz NOT NULL,
  fetched_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, year, version)
);

-- Down Migration
DROP TABLE via_data;
DROP TABLE via_retrievals;
