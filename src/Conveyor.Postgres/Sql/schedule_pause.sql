UPDATE conveyor.schedules SET paused_at = CASE WHEN @paused THEN coalesce(paused_at, coalesce(@now::timestamptz, now())) END
WHERE name = @name RETURNING name;
