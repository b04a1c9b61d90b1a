UPDATE conveyor.schedule_runs SET job_id = @job_id WHERE schedule = @name AND scheduled_for = @scheduled_for;
