-- One row per live worker process, refreshed by its heartbeat, deleted on clean exit, pruned when stale.
CREATE TABLE conveyor_workers (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    queues       TEXT    NOT NULL DEFAULT '[]',
    concurrency  INTEGER NOT NULL,
    started_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    running      INTEGER NOT NULL DEFAULT 0
);
