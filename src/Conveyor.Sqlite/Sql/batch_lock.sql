-- The unfinished batches (with callbacks) of the jobs this statement's transaction just changed (they carry the
-- counter's current value). One writer at a time: nothing to lock.
SELECT b.id FROM conveyor_batches AS b
WHERE b.finished_at IS NULL
  AND b.id IN (SELECT DISTINCT batch_id FROM conveyor_jobs
               WHERE change_seq = (SELECT value FROM conveyor_counters WHERE name = 'change') AND batch_id IS NOT NULL);
