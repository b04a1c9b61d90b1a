-- One row; run once per job inside one transaction (the application's, or ours).
-- A live job holding the same unique key makes this insert nothing (see job_find_unique.sql).
INSERT INTO conveyor_jobs (queue, kind, args, state, priority, max_attempts, run_at, created_at,
                           unique_key, concurrency_key, batch_id, tags, timeout)
VALUES (@queue, @kind, @args, CASE WHEN @run_at > @now THEN 'scheduled' ELSE 'queued' END, @priority, @max_attempts,
        @run_at, @now, @unique_key, @concurrency_key, @batch_id, @tags, @timeout)
ON CONFLICT DO NOTHING
RETURNING id;
