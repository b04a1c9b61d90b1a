UPDATE conveyor_jobs SET state = 'queued'
WHERE id IN (SELECT id FROM conveyor_jobs WHERE state = 'scheduled' AND run_at <= @now LIMIT @limit)
RETURNING queue;
