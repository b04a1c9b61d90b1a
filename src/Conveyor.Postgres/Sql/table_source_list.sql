-- Every source, by name.
SELECT name, definition::text AS definition, last_polled_at, last_moved, total_moved FROM conveyor.table_sources ORDER BY name;
