-- The live holders of unique keys that refused an insert.
SELECT unique_key, id FROM conveyor.jobs
WHERE unique_key IN (SELECT jsonb_array_elements_text(@unique_keys::jsonb)) AND state IN ('waiting', 'scheduled', 'queued', 'running');
