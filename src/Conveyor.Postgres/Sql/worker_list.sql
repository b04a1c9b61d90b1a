SELECT id, host, pid, queues, concurrency, started_at, last_seen_at, running FROM conveyor.workers ORDER BY started_at, id;
