-- Every column of a job, in the types both stores' reader expects: JSON as text, lists as JSON, durations in seconds.
SELECT id, queue, kind, args::text AS args, result::text AS result, state, priority, attempt, max_attempts, run_at,
       created_at, started_at, finished_at, lease_until, worker_id, progress::integer AS progress, progress_stage,
       progress_done, progress_total, errors::text AS errors, batch_id, unique_key, concurrency_key,
       to_json(tags)::text AS tags, extract(epoch FROM timeout)::float8 AS timeout, cancel_requested_at,
       coalesce(weight, 1)::float8 AS weight, meta->>'traceparent' AS traceparent
FROM conveyor.jobs
