-- Extend every lease this worker still holds, fenced by attempt; report cancellation requests. A heartbeat never waits
-- on a row lock (SKIP LOCKED): a row locked right now is being written by someone else (this worker's completer ending
-- it, a progress write, a cancel request), so it is reported held, from this statement's snapshot, and renewed next
-- time. A heartbeat that waited deadlocked with the completer's outcome batch over the same jobs (job_apply_outcomes.sql).
WITH leases AS (SELECT * FROM jsonb_to_recordset(@leases::jsonb) AS l(id bigint, attempt integer)),
free AS (SELECT j.id FROM conveyor.jobs AS j WHERE j.id IN (SELECT id FROM leases) FOR NO KEY UPDATE OF j SKIP LOCKED),
renewed AS (
    UPDATE conveyor.jobs AS j
    SET lease_until = coalesce(@now::timestamptz, now()) + make_interval(secs => @lease)
    -- The locks are taken when the leases are first read, before any row is updated; as a filter on the leases rather
    -- than on the jobs, it leaves the plan a walk of the leases with one primary key probe each.
    FROM (SELECT * FROM leases WHERE leases.id = ANY (ARRAY(SELECT id FROM free))) AS l
    WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
    RETURNING j.id, j.attempt, j.cancel_requested_at IS NOT NULL AS cancel_requested)
SELECT id, attempt, cancel_requested FROM renewed
UNION ALL
SELECT j.id, j.attempt, j.cancel_requested_at IS NOT NULL
FROM conveyor.jobs AS j JOIN leases AS l ON j.id = l.id AND j.attempt = l.attempt
WHERE j.worker_id = @worker_id AND j.state = 'running' AND j.id <> ALL (ARRAY(SELECT id FROM free));
