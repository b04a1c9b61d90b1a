INSERT INTO conveyor_workers (id, host, pid, queues, concurrency, started_at, last_seen_at, running, kinds)
VALUES (@id, @host, @pid, @queues, @concurrency, @now, @now, @running, @kinds)
ON CONFLICT (id) DO UPDATE SET
    host = excluded.host, pid = excluded.pid, queues = excluded.queues, concurrency = excluded.concurrency,
    last_seen_at = excluded.last_seen_at, running = excluded.running, kinds = excluded.kinds;
