DELETE FROM conveyor.table_sources WHERE name = @name;
