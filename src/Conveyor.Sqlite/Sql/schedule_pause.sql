UPDATE conveyor_schedules SET paused_at = CASE WHEN @paused THEN coalesce(paused_at, @now) END
WHERE name = @name RETURNING name;
