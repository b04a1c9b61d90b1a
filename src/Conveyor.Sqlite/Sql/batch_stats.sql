-- A batch's jobs by state, and the weighted sum of their progress (a finished job counts 100; a running one its
-- percent, or done/total) with the sum of weights, for the batch's aggregate progress. Reads the batch index only.
SELECT state, count(*) AS count,
       CAST(sum(coalesce(weight, 1) * CASE WHEN state IN ('completed', 'failed', 'cancelled') THEN 100
                     ELSE coalesce(progress, CASE WHEN progress_total > 0 THEN min(100, 100.0 * progress_done / progress_total) END, 0) END) AS REAL) AS progress_sum,
       CAST(sum(coalesce(weight, 1)) AS REAL) AS weight_sum
FROM conveyor_jobs WHERE batch_id = @batch_id GROUP BY state;
