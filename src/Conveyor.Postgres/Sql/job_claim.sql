-- Claim up to @max ready jobs in one statement. SKIP LOCKED lets many workers claim at once without
-- waiting on or double-claiming each other's rows; the order is priority, then run_at, then id.
-- Due scheduled jobs count as ready, so a retry's back-off never waits on the promoter.
WITH ready AS (
    SELECT id FROM conveyor.jobs
    WHERE state IN ('queued', 'scheduled')
      AND run_at <= @now
      AND queue = ANY(@queues)
      AND queue NOT IN (SELECT name FROM conveyor.queues WHERE paused_at IS NOT NULL)
    ORDER BY priority DESC, run_at, id
    LIMIT @max
    FOR UPDATE SKIP LOCKED
)
UPDATE conveyor.jobs AS j
SET state = 'running',
    attempt = j.attempt + 1,
    worker_id = @worker_id,
    started_at = @now,
    lease_until = @lease_until
FROM ready
WHERE j.id = ready.id
RETURNING j.id, j.queue, j.kind, j.args::text, j.attempt, j.max_attempts, j.priority, j.created_at, j.batch_id, j.timeout;
