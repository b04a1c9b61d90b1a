-- Set a queue's limits (a row is created for a queue never seen), after reading the ones it had. A rate that changes
-- starts with a fresh window.
SELECT concurrency_limit, per_key_limit, rate_limit, rate_period_ms FROM conveyor_queues WHERE name = @queue;

INSERT INTO conveyor_queues (name, concurrency_limit, per_key_limit, rate_limit, rate_period_ms)
VALUES (@queue, @concurrency_limit, @per_key_limit, @rate_limit, @rate_period_ms)
ON CONFLICT (name) DO UPDATE SET
    concurrency_limit = excluded.concurrency_limit,
    per_key_limit = excluded.per_key_limit,
    rate_limit = excluded.rate_limit,
    rate_period_ms = excluded.rate_period_ms,
    rate_window_until = CASE WHEN rate_limit IS excluded.rate_limit AND rate_period_ms IS excluded.rate_period_ms THEN rate_window_until END,
    rate_window_count = CASE WHEN rate_limit IS excluded.rate_limit AND rate_period_ms IS excluded.rate_period_ms THEN rate_window_count ELSE 0 END;
