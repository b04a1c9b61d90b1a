-- Running jobs whose lease expired on the database's clock: their worker stopped heartbeating.
SELECT id, attempt, max_attempts, worker_id, kind FROM conveyor.jobs
WHERE state = 'running' AND lease_until < coalesce(@now::timestamptz, now())
ORDER BY lease_until
LIMIT @limit;
