-- Up Migration

-- How a hub's status follow-ups fared against its rate (issue 10): polls that took a token and polls skipped because
-- the bucket was empty (the hub's send/receive then carries that moment). The bench reports them: a skipped poll is
-- what puts a filing's final status seconds later.
ALTER TABLE status_follow_up_buckets ADD COLUMN taken bigint NOT NULL DEFAULT 0;
ALTER TABLE status_follow_up_buckets ADD COLUMN skipped bigint NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE status_follow_up_buckets DROP COLUMN skipped;
ALTER TABLE status_follow_up_buckets DROP COLUMN taken;
