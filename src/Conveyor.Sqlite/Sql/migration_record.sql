INSERT INTO conveyor_migrations (version, name, applied_at) VALUES (@version, @name, strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'));
