-- A job's dependencies with how they stand (a deleted one has no kind or state).
SELECT d.depends_on AS id, d.on_failure, j.kind, j.state, j.result::text AS result
FROM conveyor.job_dependencies AS d LEFT JOIN conveyor.jobs AS j ON j.id = d.depends_on
WHERE d.job_id = @id ORDER BY d.depends_on;
