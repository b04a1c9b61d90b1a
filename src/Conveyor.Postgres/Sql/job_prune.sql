-- One small batch; SKIP LOCKED so that pruners on several nodes never wait on each other.
DELETE FROM conveyor.jobs
WHERE id IN (
    SELECT id FROM conveyor.jobs
    WHERE (state = 'completed' AND finished_at < @completed_before)
       OR (state IN ('failed', 'cancelled') AND finished_at < @failed_before)
    LIMIT @batch_size
    FOR UPDATE SKIP LOCKED);
