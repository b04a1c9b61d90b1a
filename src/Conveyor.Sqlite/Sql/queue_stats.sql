-- Per queue and state: counts, and the oldest run_at of jobs ready now; plus paused queues without jobs.
-- "now" is the clock the ages are measured against.
SELECT s.queue, s.state, s.count, s.oldest_ready, q.paused_at IS NOT NULL AS paused, @now AS now
FROM (
    SELECT queue, state, COUNT(*) AS count,
           MIN(CASE WHEN state IN ('queued', 'scheduled') AND run_at <= @now THEN run_at END) AS oldest_ready
    FROM conveyor_jobs
    GROUP BY queue, state
) AS s
LEFT JOIN conveyor_queues AS q ON q.name = s.queue
UNION ALL
SELECT q.name, NULL, 0, NULL, q.paused_at IS NOT NULL, @now
FROM conveyor_queues AS q
WHERE NOT EXISTS (SELECT 1 FROM conveyor_jobs AS j WHERE j.queue = q.name);
