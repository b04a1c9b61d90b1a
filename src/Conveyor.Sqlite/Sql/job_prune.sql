-- One small batch, so that the write lock is held only briefly.
DELETE FROM conveyor_jobs
WHERE id IN (
    SELECT id FROM conveyor_jobs
    WHERE ((state = 'completed' AND finished_at < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', -@completed_retention)))
       OR (state IN ('failed', 'cancelled') AND finished_at < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', -@failed_retention))))
    -- kept while a job that depends on it is unfinished: its handler reads this one's result
    AND NOT EXISTS (SELECT 1 FROM conveyor_job_dependencies AS d JOIN conveyor_jobs AS w ON w.id = d.job_id
                    WHERE d.depends_on = conveyor_jobs.id AND w.state NOT IN ('completed', 'failed', 'cancelled'))
    LIMIT @batch_size);
