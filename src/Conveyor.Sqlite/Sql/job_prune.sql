-- One small batch, so that the write lock is held only briefly.
DELETE FROM conveyor_jobs
WHERE id IN (
    SELECT id FROM conveyor_jobs
    WHERE (state = 'completed' AND finished_at < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', -@completed_retention)))
       OR (state IN ('failed', 'cancelled') AND finished_at < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', -@failed_retention)))
    LIMIT @batch_size);
