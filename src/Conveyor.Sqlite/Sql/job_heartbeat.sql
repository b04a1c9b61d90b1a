-- Extend every lease this worker still holds, fenced by attempt; report cancellation requests.
UPDATE conveyor_jobs AS j
SET lease_until = strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', @lease))
FROM (SELECT value ->> 'id' AS id, value ->> 'attempt' AS attempt FROM jsonb_each(@leases)) AS l
WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
RETURNING id, attempt, cancel_requested_at IS NOT NULL AS cancel_requested;
