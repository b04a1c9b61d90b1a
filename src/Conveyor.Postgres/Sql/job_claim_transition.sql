-- The claim's transition to running, shared by job_claim.sql and job_claim_limited.sql (a part, not a statement): the
-- rows chosen by the including statement's "ready" (id, previous state) become running under this worker and lease, and
-- the kept counts move with them.
claimed AS (
UPDATE conveyor.jobs AS j
SET change_seq = clock.seq,
    state = 'running',
    attempt = j.attempt + 1,
    worker_id = @worker_id,
    started_at = clock.now,
    lease_until = clock.now + make_interval(secs => @lease)
FROM ready, clock
-- "= ANY": the claimed rows are found through the primary key; by the join alone the planner hashed the whole table
-- (6 ms a claim of 300 at 20,000 jobs).
WHERE j.id = ready.id AND j.id = ANY (ARRAY(SELECT id FROM ready))
RETURNING j.id, j.queue, j.kind, j.args::text AS args, j.attempt, j.max_attempts, j.priority, j.created_at, j.batch_id, j.run_at,
          j.meta->>'traceparent' AS traceparent, extract(epoch FROM j.timeout)::float8 AS timeout, ready.state AS previous_state),
counted AS (
    -- Net count changes (kept counts, see migration 0003): each claimed job left queued or scheduled for running.
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, previous_state, -count(*) FROM claimed GROUP BY queue, previous_state
    UNION ALL
    SELECT queue, 'running', count(*) FROM claimed GROUP BY queue)
