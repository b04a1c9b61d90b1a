-- The worker learns of it at its next heartbeat (within a second) or at once through the cancel channel.
UPDATE conveyor.jobs
SET cancel_requested_at = coalesce(cancel_requested_at, @now)
WHERE id = @id AND state = 'running';
