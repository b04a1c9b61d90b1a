UPDATE conveyor.jobs
SET change_seq = pg_current_xact_id()::text::bigint, progress = @progress, progress_stage = @progress_stage, progress_done = @progress_done, progress_total = @progress_total
WHERE id = @id AND attempt = @attempt AND worker_id = @worker_id AND state = 'running';
