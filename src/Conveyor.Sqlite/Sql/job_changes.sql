-- The change feed's columns (the caller adds the position and filter): what a watcher of a job needs, with only
-- the latest error rather than the whole history.
SELECT id, queue, kind, batch_id, state, attempt, max_attempts, progress, progress_stage,
       progress_done, progress_total, result, errors -> '$[#-1]' AS last_error, finished_at, change_seq
FROM conveyor_jobs
