-- A manual retry of a failed or cancelled job: queued now, one more attempt granted when the budget is spent, the
-- error history kept. Any other state is left as it is. Returned with the state before (what the caller is told).
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
target AS (SELECT id, state, queue FROM conveyor.jobs WHERE id = @id FOR UPDATE),
changed AS (
    UPDATE conveyor.jobs AS j
    SET change_seq = clock.seq,
        state = 'queued',
        run_at = clock.now,
        max_attempts = CASE WHEN j.attempt >= j.max_attempts THEN j.attempt + 1 ELSE j.max_attempts END,
        finished_at = NULL,
        result = NULL,
        cancel_requested_at = NULL,
        worker_id = NULL
    FROM target AS t, clock
    WHERE j.id = t.id AND t.state IN ('failed', 'cancelled')
    RETURNING j.state, j.queue, t.state AS previous_state),
counted AS (
    -- Net count changes (kept counts, see migration 0003).
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, previous_state, -count(*) FROM changed WHERE previous_state <> state GROUP BY queue, previous_state
    UNION ALL
    SELECT queue, state, count(*) FROM changed WHERE previous_state <> state GROUP BY queue, state)
SELECT t.state AS previous_state, coalesce((SELECT state FROM changed), t.state) AS state, t.queue
FROM target AS t;
