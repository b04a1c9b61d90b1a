-- One small batch; SKIP LOCKED so that pruners on several nodes never wait on each other.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now)
DELETE FROM conveyor.jobs
WHERE id IN (
    SELECT id FROM conveyor.jobs, clock
    WHERE (state = 'completed' AND finished_at < clock.now - make_interval(secs => @completed_retention))
       OR (state IN ('failed', 'cancelled') AND finished_at < clock.now - make_interval(secs => @failed_retention))
    LIMIT @batch_size
    FOR UPDATE OF jobs SKIP LOCKED);
