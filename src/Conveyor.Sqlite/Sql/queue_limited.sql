-- The queues that have a limit, and whether it is per key: read inside each claim's write transaction, to choose its
-- statement (SqliteDialect.ClaimSqlAsync).
SELECT name, per_key_limit IS NOT NULL AS per_key FROM conveyor_queues
WHERE concurrency_limit IS NOT NULL OR per_key_limit IS NOT NULL OR rate_limit IS NOT NULL;
