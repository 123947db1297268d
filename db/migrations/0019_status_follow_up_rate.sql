-- Up Migration

-- A filing's own status follow-up after aanleveren (issue 10): polls its process a few times with a short backoff,
-- within a per-hub rate that Digipoort (and the simulator) allow. One token bucket per hub: refilled at the configured
-- rate per second up to its burst; a follow-up that finds no token skips that poll (the hub's send/receive still
-- receives every status, H9).
CREATE TABLE status_follow_up_buckets (
  hub_id       uuid PRIMARY KEY REFERENCES hubs (id) ON DELETE CASCADE,
  tokens       double precision NOT NULL,
  refilled_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE status_follow_up_buckets;
