-- The change feed behind server-sent events and the live dashboard: every write that changes what a watcher sees
-- (enqueue, claim, progress, outcome, cancel, retry, promotion) stamps the row with its transaction's id. A reader
-- takes the rows above its cursor in (change_seq, id) order; rows stamped below the oldest transaction still in
-- progress (pg_snapshot_xmin) can no longer appear, so the cursor advances to there and nothing committed late is
-- missed. One index read a poll, whatever the number of subscribers; lease renewals do not stamp.
-- Added with a constant default first (no table rewrite), then the per-transaction default for new rows.
ALTER TABLE conveyor.jobs ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE conveyor.jobs ALTER COLUMN change_seq SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX jobs_change ON conveyor.jobs (change_seq);

-- Completed and failed per minute and queue, maintained by the statement that applies outcomes (the overview's chart
-- reads 60 rows, never the jobs table). Each connection adds to its own shard of a minute, so worker processes
-- finishing jobs in the same minute do not queue behind one row's lock; readers sum the shards.
CREATE TABLE conveyor.job_throughput (
    minute    timestamptz NOT NULL,
    queue     text        NOT NULL,
    shard     smallint    NOT NULL,
    completed bigint      NOT NULL DEFAULT 0,
    failed    bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue, shard)
);
