-- Every column of a schedule, in the types both stores' reader expects.
SELECT name, cron, time_zone, kind, args::text AS args, queue, priority, max_attempts, enabled, missed, overlap, jitter,
       next_run_at, last_run_at, paused_at, updated_at
FROM conveyor.schedules
