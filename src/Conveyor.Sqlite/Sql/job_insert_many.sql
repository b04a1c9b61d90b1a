-- Many jobs in one statement: the rows arrive as one JSON array and are inserted in its order, so ids come out
-- ascending in request order (the store maps them back by that order). A live job holding the same unique key
-- makes a row insert nothing (see job_find_unique.sql). A row with dependencies starts waiting. "WHERE true" keeps SQLite's upsert parser unambiguous.
-- No delay means @now exactly: SQLite's date arithmetic rounds to milliseconds, which could put an immediate job a
-- fraction of a millisecond in the future (and so "scheduled").
INSERT INTO conveyor_jobs (queue, kind, args, state, priority, max_attempts, run_at, created_at,
                           unique_key, concurrency_key, batch_id, tags, timeout, weight, meta, change_seq)
SELECT queue, kind, args, CASE WHEN waiting THEN 'waiting' WHEN run_at > @now THEN 'scheduled' ELSE 'queued' END, priority, max_attempts,
       run_at, @now, unique_key, concurrency_key, batch_id, tags, timeout, weight, meta,
       (SELECT value + 1 FROM conveyor_counters WHERE name = 'change')
-- jsonb_each: each row's fields are read as JSONB lookups, not by parsing the row's JSON text again for each (see
-- job_apply_outcomes.sql for the figures). "->" still yields JSON text, so args, tags and meta are stored as text.
FROM (SELECT key AS ord, value ->> 'queue' AS queue, value ->> 'kind' AS kind, value -> 'args' AS args,
             value ->> 'priority' AS priority, value ->> 'max_attempts' AS max_attempts,
             coalesce(value ->> 'run_at', CASE WHEN coalesce(value ->> 'delay', 0) = 0 THEN @now
                      ELSE strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', value ->> 'delay')) END) AS run_at,
             value ->> 'unique_key' AS unique_key, value ->> 'concurrency_key' AS concurrency_key,
             value ->> 'batch_id' AS batch_id, value -> 'tags' AS tags, value ->> 'timeout' AS timeout,
             coalesce(value ->> 'waiting', 0) AS waiting, value ->> 'weight' AS weight, value -> 'meta' AS meta
      FROM jsonb_each(@jobs))
WHERE true
ORDER BY ord
ON CONFLICT DO NOTHING
RETURNING id, unique_key;


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
