-- Up Migration

-- Send/receive that follows the new statuses, not the backlog (issue 10).
--
-- Digipoort's getNieuweStatussenProces keeps a cursor per caller (the certificate) and process (kenmerk): it returns
-- the statuses this caller has not fetched yet, and moves its cursor when it answers. A run that dies after the answer
-- and before storing would lose those statuses, so our side keeps a record per (hub, certificate, kenmerk): marked
-- `fetching_since` before the call, cleared only once the statuses it returned are committed. A record that is missing
-- (first contact, or lost) or still marked is read with the full getStatussenProces instead (idempotent by (kenmerk,
-- statuscode, tijdstempel_status)); Digipoort's cursor moving ahead of ours can therefore never lose a status.
CREATE TABLE status_cursors (
  hub_id          uuid NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
  certificate_id  uuid NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
  kenmerk         text NOT NULL,
  fetching_since  timestamptz,
  stored_at       timestamptz,
  PRIMARY KEY (hub_id, certificate_id, kenmerk)
);

-- The hub's last full scan (H7, H9): every process of every organisation and message type of the last 30 days
-- (getProcessen), and the full history of every open process. Due when never made, when the work certificate changed
-- (a new caller, a new cursor), and once a day.
CREATE TABLE send_receive_scans (
  hub_id          uuid PRIMARY KEY REFERENCES hubs (id) ON DELETE CASCADE,
  certificate_id  uuid,
  full_scan_at    timestamptz NOT NULL
);

-- Send: the filing workflow id send/receive last made sure of (started, or found running or closed). A ready filing is
-- looked at once per workflow id, not on every run while it waits for the client's approval.
ALTER TABLE messages ADD COLUMN start_checked_workflow_id text;

-- Down Migration
ALTER TABLE messages DROP COLUMN start_checked_workflow_id;
DROP TABLE send_receive_scans;
DROP TABLE status_cursors;
