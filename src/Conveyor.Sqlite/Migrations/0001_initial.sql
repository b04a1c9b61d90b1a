-- Conveyor's tables in one SQLite file. Column names match PostgreSQL's conveyor.jobs.
-- Times are UTC ISO-8601 text of fixed width ('2026-01-02T03:04:05.000000Z'), so text order is time order
-- and the table reads well in the sqlite3 shell.
CREATE TABLE conveyor_jobs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT, -- AUTOINCREMENT: ids are never reused after pruning
    queue               TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    args                TEXT    NOT NULL DEFAULT '{}',
    result              TEXT,
    state               TEXT    NOT NULL CHECK (state IN ('scheduled','queued','running','completed','failed','cancelled')),
    priority            INTEGER NOT NULL DEFAULT 0,
    attempt             INTEGER NOT NULL DEFAULT 0,
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at              TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    started_at          TEXT,
    finished_at         TEXT,
    lease_until         TEXT,
    worker_id           TEXT,
    progress            INTEGER,
    progress_stage      TEXT,
    progress_done       INTEGER,
    progress_total      INTEGER,
    errors              TEXT    NOT NULL DEFAULT '[]',
    batch_id            TEXT,
    unique_key          TEXT,
    concurrency_key     TEXT,
    tags                TEXT    NOT NULL DEFAULT '[]',
    timeout             REAL,   -- seconds
    cancel_requested_at TEXT
);

-- The ready set: what claims scan, in claim order.
CREATE INDEX conveyor_jobs_ready ON conveyor_jobs (queue, priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled');

-- The rescuer's scan for expired leases.
CREATE INDEX conveyor_jobs_lease ON conveyor_jobs (lease_until) WHERE state = 'running';

-- A unique key is held only while its job is alive.
CREATE UNIQUE INDEX conveyor_jobs_unique_key ON conveyor_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'queued', 'running');

-- The pruner's scan.
CREATE INDEX conveyor_jobs_finished ON conveyor_jobs (finished_at) WHERE state IN ('completed', 'failed', 'cancelled');

-- Queue counts and filtered lists.
CREATE INDEX conveyor_jobs_queue_state ON conveyor_jobs (queue, state);
CREATE INDEX conveyor_jobs_batch ON conveyor_jobs (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE conveyor_queues (
    name      TEXT PRIMARY KEY,
    paused_at TEXT
);
