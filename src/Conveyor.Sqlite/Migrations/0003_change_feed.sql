-- The change feed behind server-sent events and the live dashboard: every write that changes what a watcher sees
-- stamps its rows with the next value of the 'change' counter, bumped by the same transaction only when rows
-- changed (an idle claim writes nothing). SQLite has one writer at a time, so the counter's order is commit order.
ALTER TABLE conveyor_jobs ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conveyor_jobs_change ON conveyor_jobs (change_seq);
CREATE TABLE conveyor_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO conveyor_counters (name, value) VALUES ('change', 0);

-- Completed and failed per minute and queue, maintained as attempts end (the overview's chart reads 60 rows, never
-- the jobs table). A trigger, since SQLite's UPDATE cannot feed another statement; it runs in the writer's transaction.
CREATE TABLE conveyor_job_throughput (
    minute    TEXT    NOT NULL,
    queue     TEXT    NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue)
) WITHOUT ROWID;

CREATE TRIGGER conveyor_jobs_throughput AFTER UPDATE OF state ON conveyor_jobs
WHEN NEW.state IN ('completed', 'failed') AND OLD.state = 'running'
BEGIN
    INSERT INTO conveyor_job_throughput (minute, queue, completed, failed)
    VALUES (substr(NEW.finished_at, 1, 16) || ':00.000000Z', NEW.queue, NEW.state = 'completed', NEW.state = 'failed')
    ON CONFLICT (minute, queue) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed;
END;
