-- Create or redefine a schedule by name. Its next tick is kept when its cron and zone are unchanged (an upsert at
-- every start must not skip a due tick), else it is the one computed from now. A redefinition takes effect at the next tick.
INSERT INTO conveyor_schedules AS s (name, cron, time_zone, kind, args, queue, priority, max_attempts, enabled, missed, overlap,
                                     jitter, next_run_at, updated_at)
VALUES (@name, @cron, @time_zone, @kind, @args, @queue, @priority, @max_attempts, @enabled, @missed, @overlap,
        @jitter, @next_run_at, @now)
ON CONFLICT (name) DO UPDATE
SET cron = excluded.cron, time_zone = excluded.time_zone, kind = excluded.kind, args = excluded.args, queue = excluded.queue,
    priority = excluded.priority, max_attempts = excluded.max_attempts, enabled = excluded.enabled, missed = excluded.missed,
    overlap = excluded.overlap, jitter = excluded.jitter, updated_at = excluded.updated_at,
    next_run_at = CASE WHEN s.cron = excluded.cron AND s.time_zone = excluded.time_zone AND s.next_run_at IS NOT NULL
                       THEN s.next_run_at ELSE excluded.next_run_at END
RETURNING name;
