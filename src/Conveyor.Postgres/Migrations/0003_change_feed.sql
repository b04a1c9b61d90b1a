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

-- Jobs per queue and state, maintained as jobs are inserted, change state and are deleted (by statement-level
-- triggers, so every writer counts: the client, conveyor.enqueue, psql), so that the overview, GET /api/queues and the
-- queue_stats view never count the jobs table. Each connection adds to its own shard, so that concurrent writers do
-- not queue on one counter row; readers sum the shards.
CREATE TABLE conveyor.queue_counts (
    queue text     NOT NULL,
    state text     NOT NULL,
    shard smallint NOT NULL,
    count bigint   NOT NULL,
    PRIMARY KEY (queue, state, shard)
);
INSERT INTO conveyor.queue_counts (queue, state, shard, count)
SELECT queue, state, 0, count(*) FROM conveyor.jobs GROUP BY queue, state;

CREATE FUNCTION conveyor.count_jobs(deltas jsonb) RETURNS void LANGUAGE sql AS $$
    INSERT INTO conveyor.queue_counts AS c (queue, state, shard, count)
    SELECT d.queue, d.state, pg_backend_pid() % 8, d.n
    FROM jsonb_to_recordset(deltas) AS d(queue text, state text, n bigint)
    WHERE d.n <> 0
    ORDER BY d.queue, d.state -- one lock order for all writers
    ON CONFLICT (queue, state, shard) DO UPDATE SET count = c.count + EXCLUDED.count;
$$;

-- Inserts: the wake-up trigger already reads the inserted rows; it counts them too.
CREATE OR REPLACE FUNCTION conveyor.notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('conveyor_jobs', q.queue)
    FROM (SELECT DISTINCT queue FROM inserted_jobs WHERE state = 'queued') AS q;
    PERFORM conveyor.count_jobs((SELECT jsonb_agg(jsonb_build_object('queue', queue, 'state', state, 'n', n))
                                 FROM (SELECT queue, state, count(*) AS n FROM inserted_jobs GROUP BY queue, state) AS g));
    RETURN NULL;
END
$$;

CREATE FUNCTION conveyor.count_jobs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM conveyor.count_jobs((SELECT jsonb_agg(jsonb_build_object('queue', queue, 'state', state, 'n', n))
        FROM (SELECT queue, state, sum(n) AS n FROM (
                  SELECT o.queue, o.state, -1 AS n FROM old_jobs AS o JOIN new_jobs AS n USING (id) WHERE o.state <> n.state
                  UNION ALL
                  SELECT n.queue, n.state, 1 FROM old_jobs AS o JOIN new_jobs AS n USING (id) WHERE o.state <> n.state) AS x
              GROUP BY queue, state) AS g));
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_updated AFTER UPDATE ON conveyor.jobs
    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.count_jobs_updated();

CREATE FUNCTION conveyor.count_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM conveyor.count_jobs((SELECT jsonb_agg(jsonb_build_object('queue', queue, 'state', state, 'n', -n))
                                 FROM (SELECT queue, state, count(*) AS n FROM deleted_jobs GROUP BY queue, state) AS g));
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_deleted AFTER DELETE ON conveyor.jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.count_jobs_deleted();

-- The view users read with SQL, now from the maintained counts; the oldest waiting job from a walk of the ready
-- index's distinct priorities (the first job of each priority is its earliest), not a scan of the ready set.
CREATE OR REPLACE VIEW conveyor.queue_stats AS
WITH RECURSIVE ready_queues AS (
    SELECT queue FROM conveyor.queue_counts WHERE state IN ('queued', 'scheduled') GROUP BY queue HAVING sum(count) > 0
), priorities(queue, priority) AS (
    SELECT r.queue, (SELECT j.priority FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = r.queue
                     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM ready_queues AS r
    UNION ALL
    SELECT p.queue, (SELECT j.priority FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                     AND j.priority < p.priority ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM priorities AS p WHERE p.priority IS NOT NULL
), oldest AS (
    SELECT p.queue, min(f.run_at) AS run_at
    FROM priorities AS p
    CROSS JOIN LATERAL (SELECT j.run_at FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = p.queue
                        AND j.priority = p.priority ORDER BY j.run_at, j.id LIMIT 1) AS f
    WHERE p.priority IS NOT NULL AND f.run_at <= now()
    GROUP BY p.queue
)
SELECT c.queue,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'scheduled'), 0)::bigint AS scheduled,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'queued'), 0)::bigint    AS queued,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'running'), 0)::bigint   AS running,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'completed'), 0)::bigint AS completed,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'failed'), 0)::bigint    AS failed,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'cancelled'), 0)::bigint AS cancelled,
       now() - (SELECT o.run_at FROM oldest AS o WHERE o.queue = c.queue) AS oldest_waiting_age
FROM conveyor.queue_counts AS c
GROUP BY c.queue
HAVING sum(c.count) > 0;
