-- Jobs that wait on others: a job inserted with dependencies is 'waiting' (not in the ready index, so no claim sees
-- it) until the transaction that ends its last dependency releases it. One row per edge; the reverse index is what a
-- finishing job's transaction reads to find who waited on it.
ALTER TABLE conveyor.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE conveyor.jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('waiting', 'scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled'));

-- A waiting job holds its unique key, as a scheduled one does.
DROP INDEX conveyor.jobs_unique_key;
CREATE UNIQUE INDEX jobs_unique_key ON conveyor.jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('waiting', 'scheduled', 'queued', 'running');

-- A job's share in its batch's aggregate progress (NULL: 1).
ALTER TABLE conveyor.jobs ADD COLUMN weight real CHECK (weight > 0);

-- Set on a job when another is inserted to wait on it (dependency_mark.sql): its outcome statement returns it, so only
-- an outcome that others wait on pays for a release step.
ALTER TABLE conveyor.jobs ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;

CREATE TABLE conveyor.job_dependencies (
    job_id     bigint NOT NULL REFERENCES conveyor.jobs (id) ON DELETE CASCADE,
    depends_on bigint NOT NULL, -- no foreign key: a dependency deleted by hand releases (or fails) its dependents
    on_failure text   NOT NULL CHECK (on_failure IN ('fail', 'ignore')),
    PRIMARY KEY (job_id, depends_on)
);
CREATE INDEX job_dependencies_depends_on ON conveyor.job_dependencies (depends_on);

-- One level of release, for the jobs in "ended" (just finished, cancelled or deleted by this transaction): each
-- waiting job that depends on one of them fails when a dependency it may not ignore failed, was cancelled or is gone,
-- and is queued (or scheduled, before its run_at) when every dependency has ended. The store calls it again with the
-- jobs it failed, until nothing changes. The dependents are locked first, in id order, in their own statement: two
-- transactions ending a job's last two dependencies at the same instant are ordered there, and the second one's
-- verdict (a new snapshot, READ COMMITTED) sees the first one's outcome.
CREATE FUNCTION conveyor.release_dependents(ended jsonb, at timestamptz)
RETURNS TABLE (id bigint, state text, queue text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM conveyor.jobs AS w
    WHERE w.state = 'waiting'
      AND w.id IN (SELECT d.job_id FROM conveyor.job_dependencies AS d
                   WHERE d.depends_on IN (SELECT value::bigint FROM jsonb_array_elements_text(ended)))
    ORDER BY w.id
    FOR UPDATE OF w;

    RETURN QUERY
    WITH candidates AS (
        SELECT DISTINCT d.job_id FROM conveyor.job_dependencies AS d
        WHERE d.depends_on IN (SELECT value::bigint FROM jsonb_array_elements_text(ended))
    ), verdict AS (
        SELECT w.id,
               bool_and(j.id IS NULL OR j.state IN ('completed', 'failed', 'cancelled')) AS ended,
               min(d.depends_on) FILTER (WHERE d.on_failure = 'fail' AND (j.id IS NULL OR j.state IN ('failed', 'cancelled'))) AS culprit
        FROM conveyor.jobs AS w
        JOIN conveyor.job_dependencies AS d ON d.job_id = w.id
        LEFT JOIN conveyor.jobs AS j ON j.id = d.depends_on
        WHERE w.state = 'waiting' AND w.id IN (SELECT job_id FROM candidates)
        GROUP BY w.id
    ), changed AS (
        UPDATE conveyor.jobs AS w
        SET change_seq = pg_current_xact_id()::text::bigint,
            state = CASE WHEN v.culprit IS NOT NULL THEN 'failed' WHEN w.run_at > at THEN 'scheduled' ELSE 'queued' END,
            finished_at = CASE WHEN v.culprit IS NOT NULL THEN at END,
            errors = CASE WHEN v.culprit IS NULL THEN w.errors ELSE w.errors || jsonb_build_array(jsonb_build_object(
                'at', at, 'attempt', w.attempt, 'type', 'DependencyFailed',
                'message', format('Dependency %s %s.', v.culprit,
                    coalesce((SELECT 'ended ' || c.state FROM conveyor.jobs AS c WHERE c.id = v.culprit), 'was deleted')))) END
        FROM verdict AS v
        WHERE w.id = v.id AND (v.culprit IS NOT NULL OR v.ended)
        RETURNING w.id, w.state, w.queue
    ), counted AS (
        -- Net count changes (kept counts, see migration 0003); a dependent failed now counts as this minute's failure.
        INSERT INTO conveyor.job_count_deltas (queue, state, n, minute)
        SELECT c.queue, c.state, count(*), CASE WHEN c.state = 'failed' THEN date_trunc('minute', at) END
        FROM changed AS c GROUP BY c.queue, c.state
        UNION ALL
        SELECT c.queue, 'waiting', -count(*), NULL FROM changed AS c GROUP BY c.queue
    )
    SELECT c.id, c.state, c.queue FROM changed AS c;
END
$$;

-- The queue_stats view gains its waiting column (at the end: CREATE OR REPLACE VIEW keeps the columns before it).
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
       now() - (SELECT o.run_at FROM oldest AS o WHERE o.queue = c.queue) AS oldest_waiting_age,
       coalesce(sum(c.count) FILTER (WHERE c.state = 'waiting'), 0)::bigint   AS waiting
FROM counts AS c
GROUP BY c.queue
HAVING sum(c.count) > 0;

-- Enqueue from plain SQL gains depends_on: SELECT conveyor.enqueue('report.send', depends_on => ARRAY[41, 42]).
-- The old signatures are dropped first (a new parameter would make them ambiguous overloads).
DROP FUNCTION conveyor.enqueue(text, jsonb, text, timestamptz, integer, integer, text);
DROP FUNCTION conveyor.enqueue_job(text, jsonb, text, timestamptz, integer, integer, text);

CREATE FUNCTION conveyor.enqueue_job(
    kind text,
    args jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    run_at timestamptz DEFAULT now(),
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT NULL,
    unique_key text DEFAULT NULL,
    depends_on bigint[] DEFAULT NULL)
RETURNS TABLE (id bigint, duplicate boolean) LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
    new_id bigint;
    found_ids bigint[];
    ended jsonb;
    failed jsonb;
    released record;
BEGIN
    IF kind IS NULL OR kind !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' OR length(kind) > 200 THEN
        RAISE EXCEPTION 'conveyor.enqueue: invalid kind %', coalesce(kind, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF queue IS NULL OR queue !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' OR length(queue) > 200 THEN
        RAISE EXCEPTION 'conveyor.enqueue: invalid queue %', coalesce(queue, 'NULL') USING ERRCODE = '22023';
    END IF;
    IF max_attempts IS NOT NULL AND max_attempts < 1 THEN
        RAISE EXCEPTION 'conveyor.enqueue: max_attempts must be at least 1 (got %)', max_attempts USING ERRCODE = '22023';
    END IF;
    IF priority < -1000 OR priority > 1000 THEN
        RAISE EXCEPTION 'conveyor.enqueue: priority must be between -1000 and 1000 (got %)', priority USING ERRCODE = '22023';
    END IF;
    IF cardinality(depends_on) > 0 THEN
        -- Marked as waited on, as the store's insert does (dependency_mark.sql explains why a write).
        WITH marked AS (
            SELECT j.id FROM conveyor.jobs AS j WHERE j.id = ANY (depends_on) ORDER BY j.id FOR NO KEY UPDATE),
        updated AS (
            UPDATE conveyor.jobs AS j SET has_dependents = true FROM marked WHERE j.id = marked.id RETURNING j.id)
        SELECT array_agg(u.id ORDER BY u.id) INTO found_ids FROM updated AS u;
        IF coalesce(cardinality(found_ids), 0) < (SELECT count(DISTINCT d) FROM unnest(depends_on) AS d) THEN
            RAISE EXCEPTION 'conveyor.enqueue: depends_on names no job with id %',
                (SELECT min(d) FROM unnest(depends_on) AS d WHERE d <> ALL (coalesce(found_ids, '{}'))) USING ERRCODE = '22023';
        END IF;
    END IF;
    INSERT INTO conveyor.jobs AS j (queue, kind, args, state, priority, max_attempts, run_at, created_at, unique_key)
    VALUES (queue, kind, coalesce(args, '{}'),
            CASE WHEN cardinality(depends_on) > 0 THEN 'waiting' WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END,
            coalesce(priority, 0), coalesce(max_attempts, 10), coalesce(run_at, now()), now(), unique_key)
    ON CONFLICT DO NOTHING -- the only unique index that can conflict is jobs_unique_key
    RETURNING j.id INTO new_id;
    IF new_id IS NOT NULL THEN
        id := new_id;
        duplicate := false;
        IF cardinality(depends_on) > 0 THEN
            INSERT INTO conveyor.job_dependencies (job_id, depends_on, on_failure)
            SELECT DISTINCT new_id, d, 'fail' FROM unnest(depends_on) AS d;
            -- Dependencies that have ended already release (or fail) it now.
            ended := to_jsonb(depends_on);
            WHILE ended <> '[]'::jsonb LOOP
                failed := '[]'::jsonb;
                FOR released IN SELECT * FROM conveyor.release_dependents(ended, now()) LOOP
                    IF released.state = 'queued' THEN
                        PERFORM pg_notify('conveyor_jobs', released.queue);
                    ELSIF released.state = 'failed' THEN
                        failed := failed || to_jsonb(released.id);
                    END IF;
                END LOOP;
                ended := failed;
            END LOOP;
        END IF;
    ELSE
        SELECT j.id INTO id FROM conveyor.jobs AS j
        WHERE j.unique_key = enqueue_job.unique_key AND j.state IN ('waiting', 'scheduled', 'queued', 'running');
        duplicate := true;
    END IF;
    RETURN NEXT;
END
$$;

-- The same, returning just the id: SELECT conveyor.enqueue('report.build', '{"month": 11}');
CREATE FUNCTION conveyor.enqueue(
    kind text,
    args jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    run_at timestamptz DEFAULT now(),
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT NULL,
    unique_key text DEFAULT NULL,
    depends_on bigint[] DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
    SELECT e.id FROM conveyor.enqueue_job(kind, args, queue, run_at, priority, max_attempts, unique_key, depends_on) AS e;
$$;
