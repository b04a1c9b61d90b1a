-- Create or redefine a source by name; its counters stay.
INSERT INTO conveyor.table_sources AS s (name, definition) VALUES (@name, @definition::jsonb)
ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = now()
RETURNING s.name, s.definition::text AS definition, s.last_polled_at, s.last_moved, s.total_moved;
