WITH due AS (
    SELECT id FROM conveyor.jobs
    WHERE state = 'scheduled' AND run_at <= coalesce(@now::timestamptz, now())
    LIMIT @limit
    FOR UPDATE SKIP LOCKED
)
UPDATE conveyor.jobs AS j SET state = 'queued', change_seq = pg_current_xact_id()::text::bigint
FROM due WHERE j.id = due.id
RETURNING j.queue;
