-- Claim up to @max ready jobs for one worker, in one statement inside BEGIN IMMEDIATE: the write lock is
-- taken before the ready set is read, so two processes can never claim the same row.
-- The ready marker below becomes one job_claim_ready.sql per queue, joined by UNION ALL: with one queue per subquery the
-- planner walks the partial index conveyor_jobs_ready in claim order and stops after @max rows; with
-- "queue IN (...)" it read every queued row and sorted them (4 ms a claim at 20,000 queued jobs).
-- The rate marker becomes job_claim_rate.sql when one of the worker's queues has a limit, else nothing; the limited queues'
-- ready sets come from job_claim_ready_limited.sql. Sending the limits on every claim cost the unlimited drain 39 %
-- (32 slots, 20,000 no-op jobs: 8,423 jobs/s before limits, 5,118 with them on every claim; medians of 3 interleaved).
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

{rate}
-- Stamped rows take the counter's next value; it moves only when the claim stamped rows (found by the stamp, not by
-- changes(), which the rate statement between would have reset).
UPDATE conveyor_counters SET value = value + 1
WHERE name = 'change' AND EXISTS (SELECT 1 FROM conveyor_jobs WHERE change_seq = conveyor_counters.value + 1);
