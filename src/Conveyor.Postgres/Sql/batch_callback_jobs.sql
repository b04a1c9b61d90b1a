UPDATE conveyor.batches SET callback_jobs = @jobs::jsonb WHERE id = @id;
