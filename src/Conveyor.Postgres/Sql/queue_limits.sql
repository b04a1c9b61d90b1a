-- Set a queue's limits (a row is created for a queue never seen), after reading the ones it had. A rate that changes
-- starts with a fresh window. Both statements run in one transaction (one round trip).
SELECT concurrency_limit, per_key_limit, rate_limit, rate_period_ms FROM conveyor.queues WHERE name = @queue;

INSERT INTO conveyor.queues AS q (name, concurrency_limit, per_key_limit, rate_limit, rate_period_ms)
VALUES (@queue, @concurrency_limit, @per_key_limit, @rate_limit, @rate_period_ms)
ON CONFLICT (name) DO UPDATE SET
    concurrency_limit = EXCLUDED.concurrency_limit,
    per_key_limit = EXCLUDED.per_key_limit,
    rate_limit = EXCLUDED.rate_limit,
    rate_period_ms = EXCLUDED.rate_period_ms,
    rate_window_until = CASE WHEN (q.rate_limit, q.rate_period_ms) IS NOT DISTINCT FROM (EXCLUDED.rate_limit, EXCLUDED.rate_period_ms)
                             THEN q.rate_window_until END,
    rate_window_count = CASE WHEN (q.rate_limit, q.rate_period_ms) IS NOT DISTINCT FROM (EXCLUDED.rate_limit, EXCLUDED.rate_period_ms)
                             THEN q.rate_window_count ELSE 0 END;
