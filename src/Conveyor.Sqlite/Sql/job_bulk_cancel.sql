-- Cancel many: waiting jobs among @ids end cancelled at once, running ones are asked to stop, finished ones are
-- left as they are. The jobs and their state before first, then the change.
SELECT id, state AS previous_state, CASE WHEN state = 'running' THEN 'running' ELSE 'cancelled' END AS state, queue
FROM conveyor_jobs WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('waiting', 'scheduled', 'queued', 'running');

UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
    finished_at = CASE WHEN state = 'running' THEN finished_at ELSE @now END,
    lease_until = CASE WHEN state = 'running' THEN lease_until END,
    cancel_requested_at = coalesce(cancel_requested_at, @now)
WHERE id IN (SELECT value FROM json_each(@ids)) AND state IN ('waiting', 'scheduled', 'queued', 'running');

UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
