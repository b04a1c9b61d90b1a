-- Extend every lease this worker still holds, fenced by attempt; report cancellation requests. Row locks first, in id
-- order, as job_apply_outcomes.sql takes its own: a heartbeat and an outcome batch of the same jobs never deadlock.
WITH leases AS (SELECT * FROM jsonb_to_recordset(@leases::jsonb) AS l(id bigint, attempt integer)),
locked AS (SELECT j.id FROM conveyor.jobs AS j WHERE j.id IN (SELECT id FROM leases) ORDER BY j.id FOR NO KEY UPDATE OF j)
UPDATE conveyor.jobs AS j
SET lease_until = coalesce(@now::timestamptz, now()) + make_interval(secs => @lease)
-- Locked when the leases are first read, before any row is updated (see job_apply_outcomes.sql for why on this side).
FROM (SELECT * FROM leases WHERE leases.id = ANY (ARRAY(SELECT id FROM locked))) AS l
WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
RETURNING j.id, j.attempt, j.cancel_requested_at IS NOT NULL AS cancel_requested;
