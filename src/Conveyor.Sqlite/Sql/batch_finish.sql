-- Of the batches found, those whose every job has ended are returned with their callbacks, outcome and failed jobs,
-- then marked finished (once: finished_at IS NULL), for their callbacks to be enqueued in this same transaction.
SELECT b.id, b.callbacks, count(*) AS total,
       sum(j.state = 'completed') AS completed,
       json_group_array(j.id) FILTER (WHERE j.state IN ('failed', 'cancelled')) AS failed_ids
FROM conveyor_batches AS b JOIN conveyor_jobs AS j ON j.batch_id = b.id
WHERE b.id IN (SELECT value FROM json_each(@ids)) AND b.finished_at IS NULL
GROUP BY b.id, b.callbacks
HAVING sum(j.state NOT IN ('completed', 'failed', 'cancelled')) = 0;

UPDATE conveyor_batches
SET finished_at = @now,
    outcome = CASE WHEN (SELECT count(*) FROM conveyor_jobs WHERE batch_id = conveyor_batches.id AND state <> 'completed') = 0 THEN 'success' ELSE 'failure' END
WHERE id IN (SELECT value FROM json_each(@ids)) AND finished_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM conveyor_jobs WHERE batch_id = conveyor_batches.id AND state NOT IN ('completed', 'failed', 'cancelled'));
