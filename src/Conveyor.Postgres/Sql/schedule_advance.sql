-- Move the schedule on, only from the next tick the caller read (a process that read an older state changes nothing).
UPDATE conveyor.schedules
SET next_run_at = @next_run_at, last_run_at = coalesce(@last_run_at, last_run_at)
WHERE name = @name AND next_run_at IS NOT DISTINCT FROM @expected;
