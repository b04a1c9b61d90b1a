-- job_claim_ready.sql for a queue with a limit: its ready jobs, best first, within its limits. The keys marker below is
-- job_claim_ready_keys.sql for a queue with a per-key limit, else nothing (its recursive walk, even finding nothing, cost a
-- non-binding limit a quarter of the drain: 32 slots, 20,000 no-op jobs, 5,040 jobs/s with it, 6,620-7,101 without).
-- Limits (migration 0009), read inside the claim's write transaction, so no other process claims in between: at most
-- (concurrency limit - running) and what is left of the rate window. Of @max, @ahead are for the worker's buffer, taken
-- only from places beyond the last @reserve (its slot count), so that one worker's buffer never holds places other
-- workers' free slots could run (job_claim_limited.sql in the PostgreSQL store has the example). In a queue with a per-
-- key limit, unkeyed jobs are walked as usual and keyed ones key by key: the keys with ready jobs are found by a skip
-- scan of conveyor_jobs_ready_key (one probe a key), the keys with places left are ranked by their best job, and each
-- of the first @max walks its next jobs, up to its places (one probe a job). So one key's backlog never hides other
-- keys' jobs behind it.
SELECT id, priority, run_at FROM (
    SELECT id, priority, run_at FROM (
        SELECT id, priority, run_at FROM conveyor_jobs
        WHERE state IN ('queued', 'scheduled')
          AND queue = @queue
          AND run_at <= @now
          AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
          AND (concurrency_key IS NULL OR (SELECT per_key_limit FROM conveyor_queues WHERE name = @queue) IS NULL)
        ORDER BY priority DESC, run_at, id
        LIMIT @max)
{keys}    ORDER BY priority DESC, run_at, id
    LIMIT coalesce((
        SELECT max(0, min(@max,
            CASE WHEN concurrency_limit IS NULL THEN @max
                 ELSE (SELECT max(min(@max - @ahead, concurrency_limit - running.n), min(@max, concurrency_limit - running.n - @reserve))
                       FROM (SELECT count(*) AS n FROM conveyor_jobs AS r WHERE r.state = 'running' AND r.queue = @queue) AS running) END,
            CASE WHEN rate_limit IS NULL THEN @max
                 WHEN rate_window_until IS NULL OR @now >= rate_window_until THEN rate_limit
                 ELSE rate_limit - rate_window_count END))
        FROM conveyor_queues WHERE name = @queue AND paused_at IS NULL), CASE WHEN EXISTS (
            SELECT 1 FROM conveyor_queues WHERE name = @queue AND paused_at IS NOT NULL) THEN 0 ELSE @max END))
