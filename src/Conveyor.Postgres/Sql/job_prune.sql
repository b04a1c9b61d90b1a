-- One small batch; SKIP LOCKED so that pruners on several nodes never wait on each other.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now)
DELETE FROM conveyor.jobs
WHERE id IN (
    SELECT id FROM conveyor.jobs, clock
    WHERE ((state = 'completed' AND finished_at < clock.now - make_interval(secs => @completed_retention))
       OR (state IN ('failed', 'cancelled') AND finished_at < clock.now - make_interval(secs => @failed_retention)))
    -- kept while a job that depends on it is unfinished: its handler reads this one's result
    AND NOT EXISTS (SELECT 1 FROM conveyor.job_dependencies AS d JOIN conveyor.jobs AS w ON w.id = d.job_id
                    WHERE d.depends_on = jobs.id AND w.state NOT IN ('completed', 'failed', 'cancelled'))
    LIMIT @batch_size
    FOR UPDATE OF jobs SKIP LOCKED);
