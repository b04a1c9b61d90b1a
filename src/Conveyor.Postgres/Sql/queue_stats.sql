-- Per queue and state: the kept counts (queue_counts plus the deltas not folded yet), never a count of the jobs table; the
-- oldest run_at of the jobs ready now, from a walk of the ready index's distinct priorities (the first job of each
-- priority is its earliest: two index probes a priority); plus paused or limited queues without jobs; each queue's limits and, when its rate window is full, when that window closes. "now" is the clock ages are
-- measured against.
WITH RECURSIVE clock AS (SELECT coalesce(@now::timestamptz, now()) AS now),
counts AS (
    SELECT queue, state, sum(count)::bigint AS count FROM (
        SELECT queue, state, count FROM conveyor.queue_counts
        UNION ALL
        SELECT queue, state, n FROM conveyor.job_count_deltas) AS c
    GROUP BY queue, state HAVING sum(count) <> 0
),
priorities(queue, priority) AS (
    SELECT r.queue, (SELECT j.priority FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = r.queue
                     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM (SELECT DISTINCT queue FROM counts WHERE state IN ('queued', 'scheduled')) AS r
    UNION ALL
    SELECT p.queue, (SELECT j.priority FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                     AND j.priority < p.priority ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM priorities AS p WHERE p.priority IS NOT NULL
),
oldest AS (
    SELECT p.queue, min(f.run_at) AS run_at
    FROM clock, priorities AS p
    CROSS JOIN LATERAL (SELECT j.run_at FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                        AND j.priority = p.priority ORDER BY j.run_at, j.id LIMIT 1) AS f
    WHERE p.priority IS NOT NULL AND f.run_at <= clock.now
    GROUP BY p.queue
)
SELECT c.queue, c.state, c.count, o.run_at AS oldest_ready, coalesce(q.paused_at IS NOT NULL, false) AS paused, clock.now, q.concurrency_limit, q.per_key_limit, q.rate_limit, q.rate_period_ms,
       CASE WHEN q.rate_window_count >= q.rate_limit AND q.rate_window_until > clock.now THEN q.rate_window_until END AS rate_limited_until
FROM clock, counts AS c
LEFT JOIN oldest AS o ON o.queue = c.queue
LEFT JOIN conveyor.queues AS q ON q.name = c.queue
UNION ALL
SELECT q.name, NULL, 0, NULL, q.paused_at IS NOT NULL, clock.now, q.concurrency_limit, q.per_key_limit, q.rate_limit, q.rate_period_ms,
       CASE WHEN q.rate_window_count >= q.rate_limit AND q.rate_window_until > clock.now THEN q.rate_window_until END AS rate_limited_until
FROM clock, conveyor.queues AS q
WHERE NOT EXISTS (SELECT 1 FROM counts AS c WHERE c.queue = q.name);
