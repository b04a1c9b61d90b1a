-- The edges of newly inserted waiting jobs.
INSERT INTO conveyor.job_dependencies (job_id, depends_on, on_failure)
SELECT e.job_id, e.depends_on, e.on_failure FROM jsonb_to_recordset(@edges::jsonb) AS e(job_id bigint, depends_on bigint, on_failure text)
ON CONFLICT DO NOTHING;
