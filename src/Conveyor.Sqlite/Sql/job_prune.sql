-- One small batch, so that the write lock is held only briefly.
DELETE FROM conveyor_jobs
WHERE id IN (
    SELECT id FROM conveyor_jobs
    WHERE (state = 'completed' AND finished_at < @completed_before)
       OR (state IN ('failed', 'cancelled') AND finished_at < @failed_before)
    LIMIT @batch_size);
