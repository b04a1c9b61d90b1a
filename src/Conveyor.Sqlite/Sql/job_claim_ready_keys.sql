-- The keyed ready jobs of a queue with a per-key limit (see job_claim_ready_limited.sql), joined to its unkeyed ones.
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
