UPDATE conveyor_batches SET callback_jobs = @jobs WHERE id = @id;
