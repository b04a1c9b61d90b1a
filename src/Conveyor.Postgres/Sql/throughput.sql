-- Completed and failed per minute since @since (all queues, or @queue): the folded minutes plus the deltas not folded yet.
SELECT minute, sum(completed)::bigint AS completed, sum(failed)::bigint AS failed
FROM (
    SELECT minute, queue, completed, failed FROM conveyor.job_throughput
    UNION ALL
    SELECT minute, queue, CASE WHEN state = 'completed' THEN n ELSE 0 END, CASE WHEN state = 'failed' THEN n ELSE 0 END
    FROM conveyor.job_count_deltas WHERE minute IS NOT NULL
) AS t
WHERE minute >= @since AND (@queue::text IS NULL OR queue = @queue)
GROUP BY minute
ORDER BY minute;
