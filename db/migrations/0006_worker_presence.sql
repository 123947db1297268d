-- Up Migration

-- Each running worker process says it is alive every few seconds; /health names the worker as missing while none
-- has (a crashed worker is noticed within seconds, whatever Temporal's poller list still shows).
CREATE TABLE worker_presence (
  id          uuid PRIMARY KEY,
  task_queue  text NOT NULL,
  host        text NOT NULL,
  pid         integer NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX worker_presence_queue ON worker_presence (task_queue, seen_at);

-- Down Migration
DROP TABLE worker_presence;
