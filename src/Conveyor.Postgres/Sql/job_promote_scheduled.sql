WITH due AS (
    SELECT id FROM conveyor.jobs
    WHERE state = 'scheduled' AND run_at <= coalesce(@now::timestamptz, now())
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
),
promoted AS (
UPDATE conveyor.jobs AS j SET state = 'queued', change_seq = pg_current_xact_id()::text::bigint
FROM due WHERE j.id = due.id
RETURNING j.queue),
counted AS (
    -- Net count changes (kept counts, see migration 0003).
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, 'scheduled', -count(*) FROM promoted GROUP BY queue
    UNION ALL
    SELECT queue, 'queued', count(*) FROM promoted GROUP BY queue)
SELECT queue FROM promoted;
