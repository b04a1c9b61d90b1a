-- Retry many: each failed or cancelled job among @ids is queued now, granted one more attempt when its budget is
-- spent; any other job is left as it is. Returns the jobs changed with their state before.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
target AS (
    SELECT id, state FROM conveyor.jobs
    WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb)) AND state IN ('failed', 'cancelled')
    ORDER BY id -- locks in id order, as job_apply_outcomes.sql and job_heartbeat.sql take theirs
    FOR NO KEY UPDATE),
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
WHERE j.id = t.id
RETURNING j.id, t.state AS previous_state, j.state, j.queue),
-- include: job_bulk_counted
