-- One level of release for the jobs in @ids, which this transaction ended, cancelled or deleted: each waiting job that
-- depends on one of them fails when a dependency it may not ignore failed, was cancelled or is gone, and is queued (or
-- scheduled, before its run_at) when every dependency has ended. The store calls it again with the jobs it failed.
-- One writer at a time: nothing to lock.
UPDATE conveyor_jobs AS w
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = CASE WHEN v.culprit IS NOT NULL THEN 'failed' WHEN w.run_at > @now THEN 'scheduled' ELSE 'queued' END,
    finished_at = CASE WHEN v.culprit IS NOT NULL THEN @now END,
    errors = CASE WHEN v.culprit IS NULL THEN w.errors ELSE json_insert(w.errors, '$[#]', json_object(
        'at', @now, 'attempt', w.attempt, 'type', 'DependencyFailed',
        'message', 'Dependency ' || v.culprit || ' '
            || coalesce((SELECT 'ended ' || c.state FROM conveyor_jobs AS c WHERE c.id = v.culprit), 'was deleted') || '.')) END
FROM (SELECT d.job_id AS id,
             min(j.id IS NULL OR j.state IN ('completed', 'failed', 'cancelled')) AS ended,
             min(CASE WHEN d.on_failure = 'fail' AND (j.id IS NULL OR j.state IN ('failed', 'cancelled')) THEN d.depends_on END) AS culprit
      FROM conveyor_job_dependencies AS d
      LEFT JOIN conveyor_jobs AS j ON j.id = d.depends_on
      WHERE d.job_id IN (SELECT job_id FROM conveyor_job_dependencies WHERE depends_on IN (SELECT value FROM json_each(@ids)))
      GROUP BY d.job_id) AS v
WHERE w.id = v.id AND w.state = 'waiting' AND (v.culprit IS NOT NULL OR v.ended)
RETURNING id, state, queue;

-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
