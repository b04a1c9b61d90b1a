-- Many jobs in one round trip: the rows arrive as one JSON array and are inserted in its order, so the identity
-- values come out ascending in request order (the store maps them back by that order). A row without run_at
-- starts at now() + delay on the database's clock. A live job holding the same unique key makes a row insert
-- nothing (ON CONFLICT on the partial index jobs_unique_key). A row with dependencies starts waiting.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now)
INSERT INTO conveyor.jobs (queue, kind, args, state, priority, max_attempts, run_at, created_at,
                           unique_key, concurrency_key, batch_id, tags, timeout, weight, meta)
SELECT t.queue, t.kind, t.args, CASE WHEN t.waiting THEN 'waiting' WHEN t.start > clock.now THEN 'scheduled' ELSE 'queued' END, t.priority,
       t.max_attempts, t.start, clock.now, t.unique_key, t.concurrency_key, t.batch_id,
       ARRAY(SELECT jsonb_array_elements_text(t.tags)), make_interval(secs => t.timeout), t.weight, t.meta
FROM clock, LATERAL (
    SELECT r.*, coalesce(r.run_at, clock.now + make_interval(secs => coalesce(r.delay, 0))) AS start
    FROM ROWS FROM (jsonb_to_recordset(@jobs::jsonb) AS (
        queue text, kind text, args jsonb, priority integer, max_attempts integer, run_at timestamptz, delay float8,
        unique_key text, concurrency_key text, batch_id text, tags jsonb, timeout float8, waiting boolean, weight real, meta jsonb)) WITH ORDINALITY
        AS r(queue, kind, args, priority, max_attempts, run_at, delay, unique_key, concurrency_key, batch_id, tags, timeout, waiting, weight, meta, ord)
) AS t
ORDER BY t.ord
ON CONFLICT DO NOTHING -- the only unique index that can conflict is jobs_unique_key
RETURNING id, unique_key;
