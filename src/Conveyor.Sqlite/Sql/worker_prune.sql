DELETE FROM conveyor_workers WHERE last_seen_at < conveyor_time_add(@now, -@stale_after);
