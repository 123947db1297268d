-- Up Migration

-- Reminder moments per hub for a filing that waits for the client's approval (A1): whole days before the due date and
-- what happens then (remind the client, or escalate to the accountant). No row: the defaults of domain/deadlines.ts
-- (DEFAULT_REMINDER_OFFSETS: the client 14 and 3 days before, the accountant 1 day before). The API checks the
-- moments by the domain's rule before storing them; the check here keeps a bad shape out all the same.
CREATE TABLE hub_reminder_moments (
  hub_id      uuid PRIMARY KEY REFERENCES hubs (id),
  moments     jsonb NOT NULL CHECK (jsonb_typeof(moments) = 'array'),
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE hub_reminder_moments;
