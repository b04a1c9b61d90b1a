-- The state of the job of the schedule's latest tick that has one (none: no tick ran, or its job was pruned).
SELECT j.state FROM conveyor_schedule_runs AS r JOIN conveyor_jobs AS j ON j.id = r.job_id
WHERE r.schedule = @name AND r.job_id IS NOT NULL
ORDER BY r.scheduled_for DESC LIMIT 1;
