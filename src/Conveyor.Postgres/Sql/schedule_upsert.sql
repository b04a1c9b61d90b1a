-- Create or redefine a schedule by name. Its next tick is kept when its cron and zone are unchanged (an upsert at
-- every start must not skip a due tick), else it is the one computed from now. A redefinition takes effect at the next tick.
INSERT INTO conveyor.schedules AS s (name, cron, time_zone, kind, args, queue, priority, max_attempts, enabled, missed, overlap,
                                     jitter, next_run_at, updated_at)
VALUES (@name, @cron, @time_zone, @kind, @args::jsonb, @queue, @priority, @max_attempts, @enabled, @missed, @overlap,
        @jitter, @next_run_at, coalesce(@now::timestamptz, now()))
ON CONFLICT (name) DO UPDATE
SET cron = EXCLUDED.cron, time_zone = EXCLUDED.time_zone, kind = EXCLUDED.kind, args = EXCLUDED.args, queue = EXCLUDED.queue,
    priority = EXCLUDED.priority, max_attempts = EXCLUDED.max_attempts, enabled = EXCLUDED.enabled, missed = EXCLUDED.missed,
    overlap = EXCLUDED.overlap, jitter = EXCLUDED.jitter, updated_at = EXCLUDED.updated_at,
    next_run_at = CASE WHEN s.cron = EXCLUDED.cron AND s.time_zone = EXCLUDED.time_zone AND s.next_run_at IS NOT NULL
                       THEN s.next_run_at ELSE EXCLUDED.next_run_at END
RETURNING name;
