WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now)
INSERT INTO conveyor.workers (id, host, pid, queues, concurrency, started_at, last_seen_at, running, kinds)
SELECT @id, @host, @pid, ARRAY(SELECT jsonb_array_elements_text(@queues::jsonb)), @concurrency, clock.now, clock.now, @running,
       CASE WHEN @kinds::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(@kinds::jsonb)) END
FROM clock
ON CONFLICT (id) DO UPDATE SET
    host = excluded.host, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
    last_seen_at = excluded.last_seen_at, running = excluded.running, kinds = excluded.kinds;
