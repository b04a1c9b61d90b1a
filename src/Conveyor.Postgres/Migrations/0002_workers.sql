-- One row per live worker process, refreshed by its heartbeat, deleted on clean exit, pruned when stale.
CREATE TABLE conveyor.workers (
    id           text        PRIMARY KEY,
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    queues       text[]      NOT NULL DEFAULT '{}',
    concurrency  integer     NOT NULL,
    started_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    running      integer     NOT NULL DEFAULT 0
);
