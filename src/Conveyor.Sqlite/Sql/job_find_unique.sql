-- The live holders of unique keys that refused an insert.
SELECT unique_key, id FROM conveyor_jobs
WHERE unique_key IN (SELECT value FROM json_each(@unique_keys)) AND state IN ('waiting', 'scheduled', 'queued', 'running');
