-- Per queue and state: the maintained counts (conveyor_queue_counts, kept by triggers), never a count of the jobs
-- table; the oldest run_at of the jobs ready now, from a walk of the ready index's distinct priorities (the first job
-- of each priority is its earliest); plus paused or limited queues without jobs; each queue's limits and, when its rate window is full, when that window closes. "now" is the clock ages are measured against.
WITH RECURSIVE counts AS (
    SELECT queue, state, count FROM conveyor_queue_counts WHERE count <> 0
),
priorities(queue, priority) AS (
    SELECT r.queue, (SELECT j.priority FROM conveyor_jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = r.queue
                     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM (SELECT DISTINCT queue FROM counts WHERE state IN ('queued', 'scheduled')) AS r
    UNION ALL
    SELECT p.queue, (SELECT j.priority FROM conveyor_jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                     AND j.priority < p.priority ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM priorities AS p WHERE p.priority IS NOT NULL
),
oldest AS (
    SELECT queue, min(run_at) AS run_at FROM (
        SELECT p.queue, (SELECT j.run_at FROM conveyor_jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                         AND j.priority = p.priority ORDER BY j.run_at, j.id LIMIT 1) AS run_at
        FROM priorities AS p WHERE p.priority IS NOT NULL)
    WHERE run_at <= @now
    GROUP BY queue
)
SELECT c.queue, c.state, c.count, o.run_at AS oldest_ready, q.paused_at IS NOT NULL AS paused, @now AS now, q.concurrency_limit, q.per_key_limit, q.rate_limit, q.rate_period_ms,
       CASE WHEN q.rate_window_count >= q.rate_limit AND q.rate_window_until > @now THEN q.rate_window_until END AS rate_limited_until
FROM counts AS c
LEFT JOIN oldest AS o ON o.queue = c.queue
LEFT JOIN conveyor_queues AS q ON q.name = c.queue
UNION ALL
SELECT q.name, NULL, 0, NULL, q.paused_at IS NOT NULL, @now, q.concurrency_limit, q.per_key_limit, q.rate_limit, q.rate_period_ms,
       CASE WHEN q.rate_window_count >= q.rate_limit AND q.rate_window_until > @now THEN q.rate_window_until END AS rate_limited_until
FROM conveyor_queues AS q
WHERE NOT EXISTS (SELECT 1 FROM counts AS c WHERE c.queue = q.name);
