-- Completed and failed per minute since @since (all queues, or @queue).
SELECT minute, sum(completed) AS completed, sum(failed) AS failed
FROM conveyor_job_throughput
WHERE minute >= @since AND (@queue IS NULL OR queue = @queue)
GROUP BY minute
ORDER BY minute;
