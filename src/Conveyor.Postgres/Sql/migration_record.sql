INSERT INTO conveyor.schema_migrations (version, name) VALUES (@version, @name);
