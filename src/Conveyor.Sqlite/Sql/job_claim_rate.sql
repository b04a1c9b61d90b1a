-- Put at job_claim.sql's rate marker when one of the worker's queues has a limit (SqliteDialect.ClaimSqlAsync).
-- A rate-limited queue counts this claim's starts (the rows stamped above) in its current window, or opens a new one.
UPDATE conveyor_queues
SET rate_window_count = CASE WHEN rate_window_until IS NULL OR @now >= rate_window_until THEN 0 ELSE rate_window_count END
        + (SELECT count(*) FROM conveyor_jobs AS j, conveyor_counters AS c
           WHERE c.name = 'change' AND j.change_seq = c.value + 1 AND j.queue = conveyor_queues.name AND j.worker_id = @worker_id),
    rate_window_until = CASE WHEN rate_window_until IS NULL OR @now >= rate_window_until
                             THEN strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', rate_period_ms / 1000.0))
                             ELSE rate_window_until END
WHERE rate_limit IS NOT NULL
  AND EXISTS (SELECT 1 FROM conveyor_jobs AS j, conveyor_counters AS c
              WHERE c.name = 'change' AND j.change_seq = c.value + 1 AND j.queue = conveyor_queues.name AND j.worker_id = @worker_id);
