-- Cron schedules and their occurrence ledger. A tick is one conveyor_schedule_runs row, keyed by (schedule,
-- scheduled_for) and written in the same transaction as its job: however many processes run the scheduler, one job
-- exists per tick.
CREATE TABLE conveyor_schedules (
    name         TEXT    PRIMARY KEY,
    cron         TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL DEFAULT 'UTC',
    kind         TEXT    NOT NULL,
    args         TEXT    NOT NULL DEFAULT '{}',
    queue        TEXT,
    priority     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER,
    enabled      INTEGER NOT NULL DEFAULT 1,
    missed       TEXT    NOT NULL DEFAULT 'once' CHECK (missed IN ('once', 'all', 'skip')),
    overlap      TEXT    NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
    jitter       REAL,
    next_run_at  TEXT,
    last_run_at  TEXT,
    paused_at    TEXT,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE conveyor_schedule_runs (
    schedule      TEXT    NOT NULL,
    scheduled_for TEXT    NOT NULL,
    fate          TEXT    NOT NULL CHECK (fate IN ('enqueued', 'missed', 'overlapped', 'paused', 'triggered')),
    job_id        INTEGER,
    recorded_at   TEXT    NOT NULL,
    PRIMARY KEY (schedule, scheduled_for)
) WITHOUT ROWID;
