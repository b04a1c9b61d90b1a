-- The end of a bulk action (job_bulk_cancel.sql, job_bulk_retry.sql; a part, not a statement): the rows it changed
-- ("changed": id, previous_state, state, queue) move the kept counts (see migration 0003) and are its result.
counted AS (
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, previous_state, -count(*) FROM changed WHERE previous_state <> state GROUP BY queue, previous_state
    UNION ALL
    SELECT queue, state, count(*) FROM changed WHERE previous_state <> state GROUP BY queue, state)
SELECT id, previous_state, state, queue FROM changed;
