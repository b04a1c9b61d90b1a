-- Extend every lease this worker still holds, fenced by attempt; report cancellation requests. A heartbeat never waits
-- on a row lock (SKIP LOCKED): a row locked right now is being written by someone else (this worker's completer ending
-- it, a progress write, a cancel request), so it is reported held, from this statement's snapshot, and renewed next
-- time. A heartbeat that waited deadlocked with the completer's outcome batch over the same jobs (job_apply_outcomes.sql).
-- Every step walks the leases (one typed array each for ids and attempts, PostgresDialect.BindLeases) and finds each
-- job by a primary key probe, whatever the planner believes about how many jobs are running: LATERAL with LIMIT keeps
-- the probe inside the walk. The statement before joined the leases to the jobs and filtered them by
-- "= ANY (ARRAY(SELECT id FROM free))"; with statistics taken while nothing ran, the planner walked the running jobs
-- and rescanned the 2,500 leases for each, testing each against the 2,500 ids: 35 s for one heartbeat of 2,500 leases
-- (1,000 slots and a claim-ahead buffer), past the 30 s lease it was renewing. This statement: 30 ms, in any plan.
WITH leases AS MATERIALIZED (
    -- Each lease this worker holds, with its row locked for the update (free_id), or free_id null when someone else has
    -- the row locked or the lease is no longer this worker's.
    SELECT l.id, l.attempt, f.id AS free_id
    FROM unnest(@ids::bigint[], @attempts::integer[]) AS l(id, attempt)
    LEFT JOIN LATERAL (
        SELECT j.id FROM conveyor.jobs AS j
        WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
        LIMIT 1
        FOR NO KEY UPDATE OF j SKIP LOCKED) AS f ON true),
renewed AS (
    -- Only rows locked above (this worker's, still running, fenced by attempt), found through the primary key.
    UPDATE conveyor.jobs AS j
    SET lease_until = coalesce(@now::timestamptz, now()) + make_interval(secs => @lease)
    WHERE j.id = ANY (ARRAY(SELECT free_id FROM leases WHERE free_id IS NOT NULL))
    RETURNING j.id, j.attempt, j.cancel_requested_at IS NOT NULL AS cancel_requested)
SELECT id, attempt, cancel_requested FROM renewed
UNION ALL
-- Leases whose rows were locked by someone else: held if this statement's snapshot still shows them this worker's.
SELECT j.id, j.attempt, j.cancel_requested_at IS NOT NULL
FROM leases AS l
CROSS JOIN LATERAL (
    SELECT j.id, j.attempt, j.cancel_requested_at FROM conveyor.jobs AS j
    WHERE j.id = l.id AND j.attempt = l.attempt AND j.worker_id = @worker_id AND j.state = 'running'
    LIMIT 1) AS j
WHERE l.free_id IS NULL;
