UPDATE conveyor.jobs
SET progress = @progress, progress_stage = @progress_stage, progress_done = @progress_done, progress_total = @progress_total
WHERE id = @id AND attempt = @attempt AND worker_id = @worker_id AND state = 'running';
