SELECT id, host, pid, to_json(queues)::text AS queues, concurrency, started_at, last_seen_at, running
FROM conveyor.workers ORDER BY started_at, id;
