SELECT id, queue, kind, args, result, state, priority, attempt, max_attempts, run_at, created_at, started_at,
       finished_at, lease_until, worker_id, progress, progress_stage, progress_done, progress_total, errors,
       batch_id, unique_key, concurrency_key, tags, timeout, cancel_requested_at,
       CAST(coalesce(weight, 1) AS REAL) AS weight, meta ->> 'traceparent' AS traceparent
FROM conveyor_jobs
