-- The unfinished batches (with callbacks) of the jobs in @ids, which this transaction just ended, locked in one order.
-- Its own statement: the check that follows takes a newer snapshot, which holds whatever the lock waited for.
SELECT b.id FROM conveyor.batches AS b
WHERE b.finished_at IS NULL
  AND b.id IN (SELECT DISTINCT batch_id FROM conveyor.jobs
               WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb)) AND batch_id IS NOT NULL)
ORDER BY b.id
FOR UPDATE OF b;
