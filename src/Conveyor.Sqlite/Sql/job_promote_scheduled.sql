UPDATE conveyor_jobs SET state = 'queued', change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change')
WHERE id IN (SELECT id FROM conveyor_jobs WHERE state = 'scheduled' AND run_at <= @now LIMIT @limit)
RETURNING queue;


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
