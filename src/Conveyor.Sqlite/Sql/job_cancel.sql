-- Cancel: a waiting job ends cancelled at once; a running one is asked to stop (its worker learns of it at its next
-- heartbeat, or at once in this process); a finished one is left as it is. Two statements in one BEGIN IMMEDIATE:
-- the state before (what the caller is told), then the change the rules allow.
SELECT state AS previous_state,
       CASE WHEN state IN ('scheduled', 'queued') THEN 'cancelled' ELSE state END AS state,
       queue
FROM conveyor_jobs WHERE id = @id;

UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = CASE WHEN state = 'running' THEN state ELSE 'cancelled' END,
    finished_at = CASE WHEN state = 'running' THEN finished_at ELSE @now END,
    lease_until = CASE WHEN state = 'running' THEN lease_until END,
    cancel_requested_at = coalesce(cancel_requested_at, @now)
WHERE id = @id AND state IN ('scheduled', 'queued', 'running');


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
