DELETE FROM conveyor_workers WHERE last_seen_at < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', -@stale_after));
