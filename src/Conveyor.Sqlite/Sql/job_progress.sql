UPDATE conveyor_jobs
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'), progress = @progress, progress_stage = @progress_stage, progress_done = @progress_done, progress_total = @progress_total
WHERE id = @id AND attempt = @attempt AND worker_id = @worker_id AND state = 'running';


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
