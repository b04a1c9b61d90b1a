SELECT s.queue, s.state, s.count, s.oldest_ready, coalesce(q.paused_at IS NOT NULL, false) AS paused
FROM (
    SELECT queue, state, count(*) AS count,
           min(run_at) FILTER (WHERE state IN ('queued', 'scheduled') AND run_at <= @now) AS oldest_ready
    FROM conveyor.jobs
    GROUP BY queue, state
) AS s
LEFT JOIN conveyor.queues AS q ON q.name = s.queue
UNION ALL
SELECT q.name, NULL, 0, NULL, q.paused_at IS NOT NULL
FROM conveyor.queues AS q
WHERE NOT EXISTS (SELECT 1 FROM conveyor.jobs AS j WHERE j.queue = q.name);
