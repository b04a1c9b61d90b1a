SELECT unique_key, id FROM conveyor.jobs
WHERE unique_key = ANY(@unique_keys) AND state IN ('scheduled', 'queued', 'running');
