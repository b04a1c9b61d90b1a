-- Jobs that wait on others: a job inserted with dependencies is 'waiting' (not in the ready index, so no claim sees
-- it) until the transaction that ends its last dependency releases it (dependency_release.sql).

-- The state CHECK gains 'waiting'. SQLite cannot alter a constraint; its documented procedure for loosening one
-- rewrites the table's text in the schema (no row changes, every existing row still satisfies it). RESET reloads this
-- connection's schema; the CREATE statements below bump the schema cookie, so other connections reload theirs.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''scheduled'',', 'CHECK (state IN (''waiting'',''scheduled'',')
WHERE type = 'table' AND name = 'conveyor_jobs';
PRAGMA writable_schema = RESET;

-- A waiting job holds its unique key, as a scheduled one does.
DROP INDEX conveyor_jobs_unique_key;
CREATE UNIQUE INDEX conveyor_jobs_unique_key ON conveyor_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('waiting', 'scheduled', 'queued', 'running');

-- A job's share in its batch's aggregate progress (NULL: 1).
ALTER TABLE conveyor_jobs ADD COLUMN weight REAL CHECK (weight > 0);

-- Set on a job when another is inserted to wait on it (dependency_mark.sql): its outcome statement returns it, so only
-- an outcome that others wait on pays for a release step.
ALTER TABLE conveyor_jobs ADD COLUMN has_dependents INTEGER NOT NULL DEFAULT 0;

CREATE TABLE conveyor_job_dependencies (
    job_id     INTEGER NOT NULL,
    depends_on INTEGER NOT NULL, -- a dependency deleted by hand releases (or fails) its dependents
    on_failure TEXT    NOT NULL CHECK (on_failure IN ('fail', 'ignore')),
    PRIMARY KEY (job_id, depends_on)
) WITHOUT ROWID;
CREATE INDEX conveyor_job_dependencies_depends_on ON conveyor_job_dependencies (depends_on);

-- A job's own edges go with it (PostgreSQL: ON DELETE CASCADE).
CREATE TRIGGER conveyor_jobs_dependencies_deleted AFTER DELETE ON conveyor_jobs
BEGIN
    DELETE FROM conveyor_job_dependencies WHERE job_id = OLD.id;
END;

-- A dependent failed with its dependency counts as a failure of its minute, as a failed attempt does.
DROP TRIGGER conveyor_jobs_throughput;
CREATE TRIGGER conveyor_jobs_throughput AFTER UPDATE OF state ON conveyor_jobs
WHEN NEW.state IN ('completed', 'failed') AND OLD.state IN ('running', 'waiting')
BEGIN
    INSERT INTO conveyor_job_throughput (minute, queue, completed, failed)
    VALUES (substr(NEW.finished_at, 1, 16) || ':00.000000Z', NEW.queue, NEW.state = 'completed', NEW.state = 'failed')
    ON CONFLICT (minute, queue) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed;
END;
