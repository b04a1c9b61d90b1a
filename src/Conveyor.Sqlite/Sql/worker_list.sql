SELECT id, host, pid, queues, concurrency, started_at, last_seen_at, running, kinds FROM conveyor_workers ORDER BY started_at, id;
