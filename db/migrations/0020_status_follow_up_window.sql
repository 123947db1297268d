-- Up Migration

-- Until when a sent filing follows its own process (issue 10): set when the submission is recorded (the follow-up's
-- last moment plus slack), cleared when the follow-up stops early (Digipoort could not be asked). A scheduled
-- send/receive run leaves such a process to its filing instead of asking Digipoort about it twice; NULL: the hub's
-- send/receive asks as always.
ALTER TABLE messages ADD COLUMN followed_until timestamptz;

-- Down Migration
ALTER TABLE messages DROP COLUMN followed_until;
