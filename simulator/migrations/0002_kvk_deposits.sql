-- Up Migration

-- KvK accepts one deposit of annual accounts per company and financial year ("boekjaar al gedeponeerd" otherwise),
-- unless the new one declares itself a resubmission because of insurmountable inaccuracies.
CREATE TABLE sim_kvk_deposits (
  kvk_nummer      text NOT NULL,
  financial_year  integer NOT NULL,
  -- The process that holds the year (claimed just before that process is stored).
  kenmerk         uuid NOT NULL,
  deposited_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kvk_nummer, financial_year)
);

-- Down Migration
DROP TABLE sim_kvk_deposits;
