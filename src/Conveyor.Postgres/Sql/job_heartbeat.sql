-- Extend every lease this worker still holds, fenced by attempt; report cancellation requests.
UPDATE conveyor.jobs AS j
SET lease_until = coalesce(@now::timestamptz, now()) + make_interval(secs => @lease)
FROM jsonb_to_recordset(@leases::jsonb) AS l(id bigint, attempt integer)
WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
RETURNING j.id, j.attempt, j.cancel_requested_at IS NOT NULL AS cancel_requested;
