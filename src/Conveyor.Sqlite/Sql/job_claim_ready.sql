-- The ready jobs of one queue, best first. Due scheduled jobs count as ready, so a retry's back-off never
-- waits on the promoter. A paused queue has none. With @kinds (null: any), only jobs this worker has handlers for.
SELECT id, priority, run_at FROM (
    SELECT id, priority, run_at FROM conveyor_jobs
    WHERE state IN ('queued', 'scheduled')
      AND queue = @queue
      AND run_at <= @now
      AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
      AND NOT EXISTS (SELECT 1 FROM conveyor_queues WHERE name = @queue AND paused_at IS NOT NULL)
    ORDER BY priority DESC, run_at, id
    LIMIT @max)
