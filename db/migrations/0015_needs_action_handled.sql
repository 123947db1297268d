-- Up Migration

-- The staff console's "Needs action" inbox: a filing that ended with a client rejection (40) or a refusal by the
-- authority (90) is final; what follows is a new version from the administration, or a person's "handled" mark with
-- a note of what they did. The mark takes the filing out of the inbox; a newer version does so by itself.
CREATE TABLE needs_action_handled (
  message_id  uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  hub_id      uuid NOT NULL REFERENCES hubs (id),
  lifecycle   smallint NOT NULL CHECK (lifecycle IN (40, 90)),
  handled_by  text NOT NULL,
  note        text NOT NULL CHECK (length(note) BETWEEN 1 AND 1000),
  handled_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX needs_action_handled_hub ON needs_action_handled (hub_id);

-- Down Migration
DROP TABLE needs_action_handled;
