-- A manual retry of a failed or cancelled job: queued now, one more attempt granted when the budget is spent, the
-- error history kept. Any other state is left as it is. The state before first, then the change the rules allow.
SELECT state AS previous_state,
       CASE WHEN state IN ('failed', 'cancelled') THEN 'queued' ELSE state END AS state,
       queue
FROM conveyor_jobs WHERE id = @id;

UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = 'queued',
    run_at = @now,
    max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END,
    finished_at = NULL,
    result = NULL,
    cancel_requested_at = NULL,
    worker_id = NULL
WHERE id = @id AND state IN ('failed', 'cancelled');


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
