-- Cron schedules and their occurrence ledger. A tick is one schedule_runs row, keyed by (schedule, scheduled_for) and
-- written in the same transaction as its job: however many processes run the scheduler, one job exists per tick.
CREATE TABLE conveyor.schedules (
    name         text        PRIMARY KEY,
    cron         text        NOT NULL,
    time_zone    text        NOT NULL DEFAULT 'UTC',
    kind         text        NOT NULL,
    args         jsonb       NOT NULL DEFAULT '{}',
    queue        text,
    priority     integer     NOT NULL DEFAULT 0,
    max_attempts integer,
    enabled      boolean     NOT NULL DEFAULT true,
    missed       text        NOT NULL DEFAULT 'once' CHECK (missed IN ('once', 'all', 'skip')),
    overlap      text        NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
    jitter       float8,
    next_run_at  timestamptz,
    last_run_at  timestamptz,
    paused_at    timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conveyor.schedule_runs (
    schedule      text        NOT NULL,
    scheduled_for timestamptz NOT NULL,
    fate          text        NOT NULL CHECK (fate IN ('enqueued', 'missed', 'overlapped', 'paused', 'triggered')),
    job_id        bigint,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, scheduled_for)
);
