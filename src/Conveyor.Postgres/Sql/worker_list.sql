SELECT id, host, pid, to_json(queues)::text AS queues, concurrency, started_at, last_seen_at, running, to_json(kinds)::text AS kinds
FROM conveyor.workers ORDER BY started_at, id;
