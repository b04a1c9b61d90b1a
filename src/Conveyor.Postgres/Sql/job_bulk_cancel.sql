-- Cancel many: waiting jobs among @ids end cancelled at once, running ones are asked to stop, finished ones are
-- left as they are. Returns the jobs changed with their state before.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
target AS (
    SELECT id, state FROM conveyor.jobs
    WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb)) AND state IN ('waiting', 'scheduled', 'queued', 'running')
    ORDER BY id -- locks in id order, as job_apply_outcomes.sql and job_heartbeat.sql take theirs
    FOR NO KEY UPDATE),
changed AS (
UPDATE conveyor.jobs AS j
SET change_seq = clock.seq,
    state = CASE WHEN t.state = 'running' THEN j.state ELSE 'cancelled' END,
    finished_at = CASE WHEN t.state = 'running' THEN j.finished_at ELSE clock.now END,
    lease_until = CASE WHEN t.state = 'running' THEN j.lease_until END,
    cancel_requested_at = coalesce(j.cancel_requested_at, clock.now)
FROM target AS t, clock
WHERE j.id = t.id
RETURNING j.id, t.state AS previous_state, j.state, j.queue),
-- include: job_bulk_counted
