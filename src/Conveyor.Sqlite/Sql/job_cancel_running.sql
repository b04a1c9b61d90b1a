UPDATE conveyor_jobs
SET cancel_requested_at = COALESCE(cancel_requested_at, @now)
WHERE id = @id AND state = 'running';
