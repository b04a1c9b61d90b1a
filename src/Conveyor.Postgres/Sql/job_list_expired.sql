SELECT id, attempt, max_attempts, worker_id, kind FROM conveyor.jobs
WHERE state = 'running' AND lease_until < @now
ORDER BY lease_until
LIMIT @limit;
