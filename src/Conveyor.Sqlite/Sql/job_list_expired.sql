SELECT id, attempt, max_attempts, worker_id, kind FROM conveyor_jobs
WHERE state = 'running' AND lease_until < @now
ORDER BY lease_until
LIMIT @limit;
