-- The unfinished batches (with callbacks) of the jobs in @ids, which this transaction just ended. One writer at a time:
-- nothing to lock.
SELECT b.id FROM conveyor_batches AS b
WHERE b.finished_at IS NULL
  AND b.id IN (SELECT DISTINCT batch_id FROM conveyor_jobs
               WHERE id IN (SELECT value FROM json_each(@ids)) AND batch_id IS NOT NULL);
