-- Cancel: a waiting job ends cancelled at once; a running one is asked to stop (its worker hears of it on the
-- control channel or at its next heartbeat); a finished one is left as it is. One statement: the row is locked,
-- changed as the rules allow, and returned with its state before (what the caller is told).
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
target AS (SELECT id, state, queue FROM conveyor.jobs WHERE id = @id FOR UPDATE),
changed AS (
    UPDATE conveyor.jobs AS j
    SET change_seq = clock.seq,
        state = CASE WHEN t.state = 'running' THEN j.state ELSE 'cancelled' END,
        finished_at = CASE WHEN t.state = 'running' THEN j.finished_at ELSE clock.now END,
        lease_until = CASE WHEN t.state = 'running' THEN j.lease_until END,
        cancel_requested_at = coalesce(j.cancel_requested_at, clock.now)
    FROM target AS t, clock
    WHERE j.id = t.id AND t.state IN ('scheduled', 'queued', 'running')
    RETURNING j.state, j.queue, t.state AS previous_state),
counted AS (
    -- Net count changes (kept counts, see migration 0003).
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, previous_state, -count(*) FROM changed WHERE previous_state <> state GROUP BY queue, previous_state
    UNION ALL
    SELECT queue, state, count(*) FROM changed WHERE previous_state <> state GROUP BY queue, state)
SELECT t.state AS previous_state, coalesce((SELECT state FROM changed), t.state) AS state, t.queue
FROM target AS t;
