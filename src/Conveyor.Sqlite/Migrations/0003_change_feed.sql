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

-- Jobs per queue and state, maintained by triggers as jobs are inserted, change state and are deleted, so that the
-- overview and GET /api/queues never count the jobs table. They run inside the writer's own transaction.
CREATE TABLE conveyor_queue_counts (
    queue TEXT    NOT NULL,
    state TEXT    NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (queue, state)
) WITHOUT ROWID;
INSERT INTO conveyor_queue_counts (queue, state, count) SELECT queue, state, count(*) FROM conveyor_jobs GROUP BY queue, state;

CREATE TRIGGER conveyor_jobs_count_inserted AFTER INSERT ON conveyor_jobs
BEGIN
    INSERT INTO conveyor_queue_counts (queue, state, count) VALUES (NEW.queue, NEW.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER conveyor_jobs_count_updated AFTER UPDATE OF state ON conveyor_jobs
WHEN OLD.state <> NEW.state
BEGIN
    UPDATE conveyor_queue_counts SET count = count - 1 WHERE queue = OLD.queue AND state = OLD.state;
    INSERT INTO conveyor_queue_counts (queue, state, count) VALUES (NEW.queue, NEW.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER conveyor_jobs_count_deleted AFTER DELETE ON conveyor_jobs
BEGIN
    UPDATE conveyor_queue_counts SET count = count - 1 WHERE queue = OLD.queue AND state = OLD.state;
END;
