-- The change feed behind server-sent events and the live dashboard: every write that changes what a watcher sees
-- (enqueue, claim, progress, outcome, cancel, retry, promotion) stamps the row with its transaction's id. A reader
-- takes the rows above its cursor in (change_seq, id) order; rows stamped below the oldest transaction still in
-- progress (pg_snapshot_xmin) can no longer appear, so the cursor advances to there and nothing committed late is
-- missed. One index read a poll, whatever the number of subscribers; lease renewals do not stamp.
-- Added with a constant default first (no table rewrite), then the per-transaction default for new rows.
ALTER TABLE conveyor.jobs ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE conveyor.jobs ALTER COLUMN change_seq SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX jobs_change ON conveyor.jobs (change_seq);

-- Counts that are kept rather than counted: jobs per queue and state (queue_counts), and completed and failed per
-- minute (job_throughput), read by the overview, GET /api/queues, /api/stats/throughput and the queue_stats view
-- instead of counting the jobs table. Every statement that changes states appends its net change to
-- job_count_deltas in the same transaction (the claim and outcome statements in a CTE, inserts and deletes from
-- statement triggers, so conveyor.enqueue and a DELETE in psql count too); a maintenance step folds the deltas into
-- the totals every few seconds, and readers add the deltas not folded yet. Appending never waits on another writer:
-- a first version kept the totals with ON CONFLICT upserts from triggers on every UPDATE, and the drain fell from
-- 16,600 to 8,800 jobs/s (bench drain --store postgres --concurrency 64, paired runs), writers queueing on the
-- counter rows and the triggers materialising every claim's and outcome's rows again. A state changed by a
-- hand-written UPDATE is not counted: SELECT conveyor.recount() puts the totals right.
CREATE TABLE conveyor.queue_counts (
    queue text   NOT NULL,
    state text   NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (queue, state)
);
INSERT INTO conveyor.queue_counts (queue, state, count)
SELECT queue, state, count(*) FROM conveyor.jobs GROUP BY queue, state;

CREATE TABLE conveyor.job_throughput (
    minute    timestamptz NOT NULL,
    queue     text        NOT NULL,
    completed bigint      NOT NULL DEFAULT 0,
    failed    bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, queue)
);

-- Net changes not folded yet. "minute" is set on the deltas of attempts that ended completed or failed.
CREATE TABLE conveyor.job_count_deltas (
    queue  text        NOT NULL,
    state  text        NOT NULL,
    n      bigint      NOT NULL,
    minute timestamptz
);

-- Inserts: the wake-up trigger already reads the inserted rows; it counts them too.
CREATE OR REPLACE FUNCTION conveyor.notify_jobs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('conveyor_jobs', q.queue)
    FROM (SELECT DISTINCT queue FROM inserted_jobs WHERE state = 'queued') AS q;
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, state, count(*) FROM inserted_jobs GROUP BY queue, state;
    RETURN NULL;
END
$$;

CREATE FUNCTION conveyor.count_jobs_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conveyor.job_count_deltas (queue, state, n)
    SELECT queue, state, -count(*) FROM deleted_jobs GROUP BY queue, state;
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_count_deleted AFTER DELETE ON conveyor.jobs
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION conveyor.count_jobs_deleted();

-- Totals from scratch (a count of the jobs table: for repairs, never on a read path).
CREATE FUNCTION conveyor.recount() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE conveyor.job_count_deltas IN EXCLUSIVE MODE;
    DELETE FROM conveyor.queue_counts;
    -- The deltas not folded yet will still be added: the totals are the jobs' counts less those.
    INSERT INTO conveyor.queue_counts (queue, state, count)
    SELECT coalesce(j.queue, d.queue), coalesce(j.state, d.state), coalesce(j.n, 0) - coalesce(d.n, 0)
    FROM (SELECT queue, state, count(*) AS n FROM conveyor.jobs GROUP BY queue, state) AS j
    FULL JOIN (SELECT queue, state, sum(n) AS n FROM conveyor.job_count_deltas GROUP BY queue, state) AS d
        ON d.queue = j.queue AND d.state = j.state;
$$;

-- The view users read with SQL, from the kept counts; the oldest waiting job from a walk of the ready index's
-- distinct priorities (the first job of each priority is its earliest), not a scan of the ready set.
CREATE OR REPLACE VIEW conveyor.queue_stats AS
WITH RECURSIVE counts AS (
    SELECT queue, state, sum(count) AS count FROM (
        SELECT queue, state, count FROM conveyor.queue_counts
        UNION ALL
        SELECT queue, state, n FROM conveyor.job_count_deltas) AS c
    GROUP BY queue, state
), priorities(queue, priority) AS (
    SELECT r.queue, (SELECT j.priority FROM conveyor.jobs AS j WHERE j.state IN ('queued', 'scheduled') AND j.queue = r.queue
                     ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1)
    FROM (SELECT DISTINCT queue FROM counts WHERE state IN ('queued', 'scheduled') AND count > 0) AS r
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
FROM counts AS c
GROUP BY c.queue
HAVING sum(c.count) > 0;
