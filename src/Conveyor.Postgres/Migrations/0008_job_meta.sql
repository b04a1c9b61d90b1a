-- What features attach to a job as JSON: today the W3C trace context of the code that enqueued it
-- ({"traceparent": "00-...", "tracestate": "..."}), so that its attempts continue that trace on any machine.
ALTER TABLE conveyor.jobs ADD COLUMN meta jsonb;

-- Enqueue from plain SQL gains traceparent: SELECT conveyor.enqueue('report.send', traceparent => '00-...-...-01'),
-- so that a trigger or a pg_cron call can continue the trace of whatever started it. The old signatures are dropped
-- first (a new parameter would make them ambiguous overloads).
DROP FUNCTION conveyor.enqueue(text, jsonb, text, timestamptz, integer, integer, text, bigint[]);
DROP FUNCTION conveyor.enqueue_job(text, jsonb, text, timestamptz, integer, integer, text, bigint[]);

CREATE FUNCTION conveyor.enqueue_job(
    kind text,
    args jsonb DEFAULT '{}',
    queue text DEFAULT 'default',
    run_at timestamptz DEFAULT now(),
    priority integer DEFAULT 0,
    max_attempts integer DEFAULT NULL,
    unique_key text DEFAULT NULL,
    depends_on bigint[] DEFAULT NULL,
    traceparent text DEFAULT NULL)
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
    IF traceparent IS NOT NULL AND traceparent !~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' THEN
        RAISE EXCEPTION 'conveyor.enqueue: traceparent % is not a W3C trace context (00-<32 hex>-<16 hex>-<2 hex>)', traceparent USING ERRCODE = '22023';
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
    INSERT INTO conveyor.jobs AS j (queue, kind, args, state, priority, max_attempts, run_at, created_at, unique_key, meta)
    VALUES (queue, kind, coalesce(args, '{}'),
            CASE WHEN cardinality(depends_on) > 0 THEN 'waiting' WHEN run_at > now() THEN 'scheduled' ELSE 'queued' END,
            coalesce(priority, 0), coalesce(max_attempts, 10), coalesce(run_at, now()), now(), unique_key,
            CASE WHEN traceparent IS NOT NULL THEN jsonb_build_object('traceparent', traceparent) END)
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
    depends_on bigint[] DEFAULT NULL,
    traceparent text DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
    SELECT e.id FROM conveyor.enqueue_job(kind, args, queue, run_at, priority, max_attempts, unique_key, depends_on, traceparent) AS e;
$$;
