-- job_claim_ready.sql for a queue with a limit: its ready jobs, best first, within its limits.
-- Limits (migration 0009), read inside the claim's write transaction, so no other process claims in between: at most
-- (concurrency limit - running) and what is left of the rate window. In a queue with a per-key limit, unkeyed jobs are
-- walked as usual and keyed ones key by key: the keys with ready jobs are found by a skip scan of conveyor_jobs_ready_key
-- (one probe a key), the keys with places left are ranked by their best job, and each of the first @max walks its next
-- jobs, up to its places (one probe a job). So one key's backlog never hides other keys' jobs behind it.
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
    UNION ALL
    SELECT id, priority, run_at FROM (
        WITH RECURSIVE
        limits(per_key) AS (SELECT per_key_limit FROM conveyor_queues WHERE name = @queue AND per_key_limit IS NOT NULL),
        keys(k) AS (
            SELECT (SELECT concurrency_key FROM conveyor_jobs WHERE state IN ('queued', 'scheduled') AND queue = @queue
                    AND concurrency_key IS NOT NULL ORDER BY concurrency_key LIMIT 1) FROM limits
            UNION ALL
            SELECT (SELECT concurrency_key FROM conveyor_jobs WHERE state IN ('queued', 'scheduled') AND queue = @queue
                    AND concurrency_key > keys.k ORDER BY concurrency_key LIMIT 1) FROM keys WHERE k IS NOT NULL),
        places(k, n) AS (
            SELECT k, limits.per_key - (SELECT count(*) FROM conveyor_jobs AS r WHERE r.state = 'running' AND r.queue = @queue AND r.concurrency_key = keys.k)
            FROM keys, limits WHERE k IS NOT NULL),
        heads AS (
            SELECT places.k, places.n, j.id, j.priority, j.run_at FROM places JOIN conveyor_jobs AS j ON j.id = (
                SELECT id FROM conveyor_jobs WHERE state IN ('queued', 'scheduled') AND queue = @queue AND concurrency_key = places.k
                  AND run_at <= @now AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
                ORDER BY priority DESC, run_at, id LIMIT 1)
            WHERE places.n > 0
            ORDER BY j.priority DESC, j.run_at, j.id
            LIMIT @max),
        walk(k, n, id, priority, run_at) AS (
            SELECT k, n - 1, id, priority, run_at FROM heads
            UNION ALL
            SELECT w.k, w.n - 1, j.id, j.priority, j.run_at FROM walk AS w JOIN conveyor_jobs AS j ON j.id = (
                SELECT id FROM conveyor_jobs WHERE state IN ('queued', 'scheduled') AND queue = @queue AND concurrency_key = w.k
                  AND run_at <= @now AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
                  AND (priority < w.priority OR (priority = w.priority AND (run_at > w.run_at OR (run_at = w.run_at AND id > w.id))))
                ORDER BY priority DESC, run_at, id LIMIT 1)
            WHERE w.n > 0)
        SELECT id, priority, run_at FROM walk)
    ORDER BY priority DESC, run_at, id
    LIMIT coalesce((
        SELECT max(0, min(@max,
            CASE WHEN concurrency_limit IS NULL THEN @max
                 ELSE concurrency_limit - (SELECT count(*) FROM conveyor_jobs AS r WHERE r.state = 'running' AND r.queue = @queue) END,
            CASE WHEN rate_limit IS NULL THEN @max
                 WHEN rate_window_until IS NULL OR @now >= rate_window_until THEN rate_limit
                 ELSE rate_limit - rate_window_count END))
        FROM conveyor_queues WHERE name = @queue AND paused_at IS NULL), CASE WHEN EXISTS (
            SELECT 1 FROM conveyor_queues WHERE name = @queue AND paused_at IS NOT NULL) THEN 0 ELSE @max END))
