-- A manual retry grants one more attempt when the budget is spent, keeps the error history, and runs now.
UPDATE conveyor.jobs
SET state = 'queued',
    run_at = @now,
    max_attempts = CASE WHEN attempt >= max_attempts THEN attempt + 1 ELSE max_attempts END,
    finished_at = NULL,
    result = NULL,
    cancel_requested_at = NULL,
    worker_id = NULL
WHERE id = @id AND state IN ('failed', 'cancelled');
