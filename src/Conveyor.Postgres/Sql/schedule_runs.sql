SELECT schedule, scheduled_for, fate, job_id, recorded_at FROM conveyor.schedule_runs
WHERE schedule = @name ORDER BY scheduled_for DESC LIMIT @limit;
