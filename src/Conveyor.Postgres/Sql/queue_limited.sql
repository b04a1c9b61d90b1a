-- The queues that have a limit: which claim a worker sends (PostgresDialect.ClaimSqlAsync), read at most once a second.
SELECT name FROM conveyor.queues WHERE concurrency_limit IS NOT NULL OR per_key_limit IS NOT NULL OR rate_limit IS NOT NULL;
