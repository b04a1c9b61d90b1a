-- Per queue and state: counts, and the oldest run_at of jobs ready now; plus paused queues without jobs.
-- "now" is the clock the ages are measured against.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now)
SELECT s.queue, s.state, s.count, s.oldest_ready, coalesce(q.paused_at IS NOT NULL, false) AS paused, clock.now
FROM clock, (
    SELECT queue, state, count(*) AS count,
           min(run_at) FILTER (WHERE state IN ('queued', 'scheduled') AND run_at <= (SELECT now FROM clock)) AS oldest_ready
    FROM conveyor.jobs
    GROUP BY queue, state
) AS s
LEFT JOIN conveyor.queues AS q ON q.name = s.queue
UNION ALL
SELECT q.name, NULL, 0, NULL, q.paused_at IS NOT NULL, clock.now
FROM clock, conveyor.queues AS q
WHERE NOT EXISTS (SELECT 1 FROM conveyor.jobs AS j WHERE j.queue = q.name);
