-- Retry many: each failed or cancelled job among @ids is queued now, granted one more attempt when its budget is
-- spent; any other job is left as it is. The jobs and their state before first, then the change.
SELECT id, state AS previous_state, 'queued' AS state, queue
FROM conveyor_jobs WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('failed', 'cancelled');

UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = 'queued',
    run_at = @now,
    max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END,
    finished_at = NULL,
    result = NULL,
    cancel_requested_at = NULL,
    worker_id = NULL
WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('failed', 'cancelled');

UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
