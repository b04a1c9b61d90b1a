-- Completed and failed per minute since @since (all queues, or @queue), summed over the shards.
SELECT minute, sum(completed)::bigint AS completed, sum(failed)::bigint AS failed
FROM conveyor.job_throughput
WHERE minute >= @since AND (@queue::text IS NULL OR queue = @queue)
GROUP BY minute
ORDER BY minute;
