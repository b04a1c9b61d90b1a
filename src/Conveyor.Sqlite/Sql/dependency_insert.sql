-- The edges of newly inserted waiting jobs.
INSERT OR IGNORE INTO conveyor_job_dependencies (job_id, depends_on, on_failure)
SELECT value ->> 'job_id', value ->> 'depends_on', value ->> 'on_failure' FROM jsonb_each(@edges);
