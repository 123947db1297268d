-- Up Migration

-- The simulated Machtigingenregister (provisional format, simulator/mandates.ts): one row per mandate request.
CREATE TABLE sim_mandates (
  id                     bigserial PRIMARY KEY,
  request_kenmerk        uuid NOT NULL UNIQUE REFERENCES sim_processes (kenmerk),
  belanghebbende         text NOT NULL,
  dienst                 text NOT NULL CHECK (dienst IN ('SBA', 'VIA')),
  jaar                   integer NOT NULL,
  doorlopend             boolean NOT NULL,
  -- The intermediary: the KvK number behind the signing certificate's HRN, and the certificate's name (the letter's).
  intermediary_kvk       text NOT NULL,
  intermediary_identity  text NOT NULL,
  intermediary_name      text,
  becon                  text,
  received_at            timestamptz NOT NULL,
  -- SBA: active when the objection period (26 simulated days) passed without objection.
  activates_at           timestamptz,
  -- VIA: the code printed on the client's letter, and when it was sent back.
  activation_code        text,
  activated_at           timestamptz,
  objected_at            timestamptz,
  revoked_at             timestamptz,
  -- Refused on receipt (exclusivity: another open mandate for the client, service and year).
  rejected_reason        text
);
CREATE INDEX sim_mandates_client ON sim_mandates (belanghebbende, dienst);

-- The register's answer to each accepted mandate message, reported as a status of its process.
CREATE TABLE sim_mandate_answers (
  kenmerk     uuid PRIMARY KEY REFERENCES sim_processes (kenmerk),
  mandate_id  bigint REFERENCES sim_mandates (id),
  toestand    text NOT NULL,
  reden       text,
  at          timestamptz NOT NULL
);

-- Down Migration
DROP TABLE sim_mandate_answers;
DROP TABLE sim_mandates;
