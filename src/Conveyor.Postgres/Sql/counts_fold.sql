-- Folds the appended count changes into the totals (queue_counts, job_throughput) in one transaction, so that a
-- reader adding totals and deltas sees each change once. Two nodes folding at once: the second waits on the rows the
-- first deleted and then skips them. The totals are written in one order, so folders never deadlock.
WITH moved AS (
    DELETE FROM conveyor.job_count_deltas RETURNING queue, state, n, minute
),
totals AS (
    INSERT INTO conveyor.queue_counts AS c (queue, state, count)
    SELECT queue, state, sum(n)::bigint FROM moved GROUP BY queue, state
    ORDER BY queue, state
    ON CONFLICT (queue, state) DO UPDATE SET count = c.count + EXCLUDED.count
),
throughput AS (
    INSERT INTO conveyor.job_throughput AS t (minute, queue, completed, failed)
    SELECT minute, queue, coalesce(sum(n) FILTER (WHERE state = 'completed'), 0)::bigint, coalesce(sum(n) FILTER (WHERE state = 'failed'), 0)::bigint
    FROM moved WHERE minute IS NOT NULL GROUP BY minute, queue
    ORDER BY minute, queue
    ON CONFLICT (minute, queue) DO UPDATE SET completed = t.completed + EXCLUDED.completed, failed = t.failed + EXCLUDED.failed
)
SELECT count(*)::integer AS folded FROM moved;
