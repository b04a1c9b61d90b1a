-- Many jobs in one round trip: the rows arrive as parallel arrays and are inserted in their order, so the
-- identity values come out ascending in request order (the store maps them back by that order).
-- A live job holding the same unique key makes a row insert nothing (ON CONFLICT on the partial index).
INSERT INTO conveyor.jobs (queue, kind, args, state, priority, max_attempts, run_at, created_at,
                           unique_key, concurrency_key, batch_id, tags, timeout)
SELECT t.queue, t.kind, t.args, CASE WHEN t.run_at > @now THEN 'scheduled' ELSE 'queued' END, t.priority, t.max_attempts,
       t.run_at, @now, t.unique_key, t.concurrency_key, t.batch_id,
       ARRAY(SELECT jsonb_array_elements_text(t.tags)), t.timeout
FROM unnest(@queues, @kinds, @args, @priorities, @max_attempts, @run_ats, @unique_keys, @concurrency_keys, @batch_ids, @tags, @timeouts)
     WITH ORDINALITY AS t(queue, kind, args, priority, max_attempts, run_at, unique_key, concurrency_key, batch_id, tags, timeout, ord)
ORDER BY t.ord
ON CONFLICT DO NOTHING -- the only unique index that can conflict is jobs_unique_key
RETURNING id, unique_key;
