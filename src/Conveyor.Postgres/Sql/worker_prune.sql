-- Records not seen for a while, on the database's clock: their processes died.
DELETE FROM conveyor.workers WHERE last_seen_at < coalesce(@now::timestamptz, now()) - make_interval(secs => @stale_after);
