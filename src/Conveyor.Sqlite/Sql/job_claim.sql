-- Claim up to @max ready jobs for one worker, in one statement inside BEGIN IMMEDIATE: the write lock is
-- taken before the ready set is read, so two processes can never claim the same row.
-- Due scheduled jobs count as ready, so a retry's back-off never waits on the promoter.
UPDATE conveyor_jobs
SET state = 'running',
    attempt = attempt + 1,
    worker_id = @worker_id,
    started_at = @now,
    lease_until = @lease_until
WHERE id IN (
    SELECT id FROM conveyor_jobs
    WHERE state IN ('queued', 'scheduled')
      AND run_at <= @now
      AND queue IN (SELECT value FROM json_each(@queues))
      AND queue NOT IN (SELECT name FROM conveyor_queues WHERE paused_at IS NOT NULL)
    ORDER BY priority DESC, run_at, id
    LIMIT @max)
RETURNING id, queue, kind, args, attempt, max_attempts, priority, created_at, batch_id, timeout;
