-- Up Migration

-- H15: what a cleanup removed (or a dry run would remove) and why, per message (id, number, status, since when,
-- reason), so the record can be read back through the API.
ALTER TABLE cleanup_records ADD COLUMN messages jsonb NOT NULL DEFAULT '[]';
CREATE INDEX cleanup_records_hub ON cleanup_records (hub_id, created_at DESC);

-- H14: an outgoing attachment went to the authority with the filing (berichtBijlagen) when its attempt was sent;
-- NULL while it has not, or when the receiving process takes none (kept for download only).
ALTER TABLE message_attachments ADD COLUMN sent_at timestamptz;

-- Down Migration
ALTER TABLE message_attachments DROP COLUMN sent_at;
DROP INDEX cleanup_records_hub;
ALTER TABLE cleanup_records DROP COLUMN messages;
