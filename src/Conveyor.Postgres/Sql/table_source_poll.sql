-- One poll of a table source, in one statement: take up to @batch_size rows in @from status (SKIP LOCKED: processes
-- polling together take different rows), set them to @to, insert one job per row with the chosen columns as args, and
-- count it on the source. All of it commits, or none: a process killed at any point loses and doubles nothing.
-- {table}, {key}, {status} and {args} are replaced by validated, double-quoted identifiers (TableSourceValidation);
-- the statuses are bound untyped, so that a text, varchar or enum status column compares and assigns alike.
WITH picked AS (
    SELECT t.{key} AS key FROM {table} AS t WHERE t.{status} = @from ORDER BY t.{key} LIMIT @batch_size FOR UPDATE SKIP LOCKED
), moved AS (
    UPDATE {table} AS t SET {status} = @to FROM picked WHERE t.{key} = picked.key
    RETURNING jsonb_build_object({args}) AS args
), inserted AS (
    INSERT INTO conveyor.jobs (queue, kind, args, state, priority, max_attempts, run_at, created_at, tags)
    SELECT @queue, @kind, moved.args, 'queued', @priority, @max_attempts, now(), now(), ARRAY['source:' || @name]
    FROM moved
    RETURNING id
), counted AS (
    UPDATE conveyor.table_sources
    SET last_polled_at = now(), last_moved = (SELECT count(*) FROM inserted), total_moved = total_moved + (SELECT count(*) FROM inserted)
    WHERE name = @name
)
SELECT count(*)::integer AS moved FROM inserted;
