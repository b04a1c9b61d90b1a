-- job_claim.sql when one of the worker's queues has a limit: the limited queues' ready sets come from
-- job_claim_ready_limited.sql, and a rate window counts the starts. Inside BEGIN IMMEDIATE, so queue limits are read
-- with every other process's claims already counted. Sending this on every claim cost the unlimited drain 39 %
-- (32 slots, 20,000 no-op jobs: 8,423 jobs/s before limits, 5,118 with them on every claim; medians of 3 interleaved),
-- so a claim with no limited queue sends job_claim.sql as it was.
-- The ready marker below becomes one job_claim_ready.sql per queue, joined by UNION ALL: with one queue per subquery the
-- planner walks the partial index conveyor_jobs_ready in claim order and stops after @max rows; with
-- "queue IN (...)" it read every queued row and sorted them (4 ms a claim at 20,000 queued jobs).
-- Times are fixed-width UTC text; SQLite's date arithmetic has millisecond precision, padded to the column's
-- microseconds ('000Z') so that text order stays time order.
UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = 'running',
    attempt = attempt + 1,
    worker_id = @worker_id,
    started_at = @now,
    lease_until = strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', @lease))
WHERE id IN (
    SELECT id FROM ({ready})
    ORDER BY priority DESC, run_at, id
    LIMIT @max)
RETURNING id, queue, kind, args, attempt, max_attempts, priority, created_at, batch_id, timeout, run_at, meta ->> 'traceparent' AS traceparent;

-- A rate-limited queue counts this claim's starts (the rows stamped above) in its current window, or opens a new one.
UPDATE conveyor_queues
SET rate_window_count = CASE WHEN rate_window_until IS NULL OR @now >= rate_window_until THEN 0 ELSE rate_window_count END
        + (SELECT count(*) FROM conveyor_jobs AS j, conveyor_counters AS c
           WHERE c.name = 'change' AND j.change_seq = c.value + 1 AND j.queue = conveyor_queues.name AND j.worker_id = @worker_id),
    rate_window_until = CASE WHEN rate_window_until IS NULL OR @now >= rate_window_until
                             THEN strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', rate_period_ms / 1000.0))
                             ELSE rate_window_until END
WHERE rate_limit IS NOT NULL
  AND EXISTS (SELECT 1 FROM conveyor_jobs AS j, conveyor_counters AS c
              WHERE c.name = 'change' AND j.change_seq = c.value + 1 AND j.queue = conveyor_queues.name AND j.worker_id = @worker_id);

-- Stamped rows take the counter's next value; it moves only when the claim changed rows.
UPDATE conveyor_counters SET value = value + 1
WHERE name = 'change' AND EXISTS (SELECT 1 FROM conveyor_jobs WHERE change_seq = conveyor_counters.value + 1);
