-- Apply a batch of attempt outcomes in one statement. Fenced: only the attempt that still holds the job
-- (same attempt, same worker, still running) may end it; a late outcome from a rescued attempt changes nothing.
-- A rescue applies only while the lease is still expired (on the database's clock), so a heartbeat that landed
-- after the rescuer looked wins. A job asked to cancel that would otherwise run again ends cancelled instead.
-- The same statement appends the count changes (and this minute's completed and failed) to job_count_deltas.
-- Lock order: the update walks the outcomes in the order given (the store sorts them by id), each finding its row by a
-- primary key probe or, as the planner often prefers during a drain, in a hash of the running jobs built before the walk
-- (the outcomes stay the outer, ordered side); either way it locks rows in id order, as the bulk actions and the
-- dependency mark lock theirs; a heartbeat never waits (job_heartbeat.sql). A heartbeat that waited, with its own
-- order, deadlocked with this statement (46 times in a few sleepy drains of 1,000 slots, each broken after a second by
-- failing one of them). A separate pass locking the rows in
-- id order first also prevented it, but cost 40 % more time on this statement (15 -> 21 ms a batch of 1,000). Were the
-- planner to hash the outcomes and walk the jobs instead (not seen), rows would lock in table order, and a rare deadlock
-- with a bulk cancel or retry would be broken by PostgreSQL after a second, the completer writing its batch again.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
applied AS (
UPDATE conveyor.jobs AS j
SET change_seq = clock.seq,
    state = CASE WHEN j.cancel_requested_at IS NOT NULL AND o.state IN ('scheduled', 'queued') THEN 'cancelled' ELSE o.state END,
    attempt = j.attempt - o.refund,
    result = o.result::jsonb,
    run_at = CASE WHEN o.delay IS NULL THEN j.run_at ELSE clock.now + make_interval(secs => o.delay) END,
    finished_at = CASE WHEN o.state IN ('completed', 'failed', 'cancelled') OR j.cancel_requested_at IS NOT NULL THEN clock.now END,
    lease_until = NULL,
    worker_id = CASE WHEN o.state IN ('completed', 'failed', 'cancelled') THEN j.worker_id END,
    errors = CASE WHEN o.error IS NULL THEN j.errors ELSE j.errors || jsonb_build_array(o.error::jsonb) END,
    progress = CASE WHEN o.has_progress = 1 THEN o.progress ELSE j.progress END,
    progress_stage = CASE WHEN o.has_progress = 1 THEN o.progress_stage ELSE j.progress_stage END,
    progress_done = CASE WHEN o.has_progress = 1 THEN o.progress_done ELSE j.progress_done END,
    progress_total = CASE WHEN o.has_progress = 1 THEN o.progress_total ELSE j.progress_total END
-- The outcomes arrive as one typed array per field (PostgresDialect.BindOutcomes), read in step by unnest: as one JSON
-- array through jsonb_to_recordset, 1,000 outcomes took 16.2 ms of the server's time, as arrays 12.2 ms.
FROM clock, unnest(@id::bigint[], @attempt::integer[], @worker::text[], @state::text[], @result::text[], @error::text[],
                   @delay::float8[], @refund::integer[], @rescue::integer[], @has_progress::integer[], @progress::smallint[],
                   @progress_stage::text[], @progress_done::bigint[], @progress_total::bigint[])
    AS o(id, attempt, worker, state, result, error, delay, refund, rescue, has_progress, progress, progress_stage, progress_done, progress_total)
WHERE j.id = o.id AND j.attempt = o.attempt AND j.worker_id = o.worker AND j.state = 'running'
  AND (o.rescue = 0 OR j.lease_until < clock.now)
RETURNING j.id, j.queue, j.state, j.batch_id, j.has_dependents),
counted AS (
    -- Net count changes (kept counts, see migration 0003): each applied outcome leaves running for its new state;
    -- completed and failed carry this minute for the throughput.
    INSERT INTO conveyor.job_count_deltas (queue, state, n, minute)
    SELECT a.queue, a.state, count(*), CASE WHEN a.state IN ('completed', 'failed') THEN date_trunc('minute', clock.now) END
    FROM applied AS a, clock GROUP BY a.queue, a.state, clock.now
    UNION ALL
    SELECT a.queue, 'running', -count(*), NULL FROM applied AS a GROUP BY a.queue),
held_batches AS (
    -- The unfinished batches with callbacks whose jobs this statement ended, locked (in one order) until commit: the
    -- store then checks, in a new statement of this transaction, whether their last job ended (batch_finish.sql). A
    -- transaction ending another job of the same batch waits here, so one of the two sees both outcomes.
    SELECT b.id FROM conveyor.batches AS b
    WHERE b.finished_at IS NULL
      AND b.id IN (SELECT a.batch_id FROM applied AS a WHERE a.batch_id IS NOT NULL AND a.state IN ('completed', 'failed', 'cancelled'))
    ORDER BY b.id
    FOR UPDATE OF b)
SELECT a.id, a.queue, a.state, (SELECT count(*) FROM held_batches) AS batches_locked,
       -- a job others wait on ended: the store releases them in this transaction (release_dependents); the flag comes
       -- from the row's newest version (see dependency_mark.sql)
       a.state IN ('completed', 'failed', 'cancelled') AND a.has_dependents AS has_dependents
FROM applied AS a;
