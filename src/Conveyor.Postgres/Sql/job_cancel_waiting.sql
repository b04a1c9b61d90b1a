UPDATE conveyor.jobs
SET state = 'cancelled', finished_at = @now, cancel_requested_at = @now, lease_until = NULL
WHERE id = @id AND state IN ('scheduled', 'queued');
