-- Of the locked batches, those whose every job has ended are marked finished (once: finished_at IS NULL) and returned
-- with their callbacks, outcome and failed jobs, for their callbacks to be enqueued in this same transaction.
WITH done AS (
    SELECT b.id, b.callbacks, count(*) AS total,
           count(*) FILTER (WHERE j.state = 'completed') AS completed,
           coalesce(jsonb_agg(j.id ORDER BY j.id) FILTER (WHERE j.state IN ('failed', 'cancelled')), '[]'::jsonb) AS failed_ids
    FROM conveyor.batches AS b JOIN conveyor.jobs AS j ON j.batch_id = b.id
    WHERE b.id IN (SELECT value FROM jsonb_array_elements_text(@ids::jsonb)) AND b.finished_at IS NULL
    GROUP BY b.id, b.callbacks
    HAVING count(*) FILTER (WHERE j.state NOT IN ('completed', 'failed', 'cancelled')) = 0
)
UPDATE conveyor.batches AS b
SET finished_at = coalesce(@now::timestamptz, now()),
    outcome = CASE WHEN done.completed = done.total THEN 'success' ELSE 'failure' END
FROM done WHERE b.id = done.id
RETURNING b.id, done.callbacks::text AS callbacks, done.total, done.completed, done.failed_ids::text AS failed_ids;
