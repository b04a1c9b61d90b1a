-- One level of release for the jobs in @ids, which this transaction ended, cancelled or deleted (migration 0006).
SELECT id, state, queue FROM conveyor.release_dependents(@ids::jsonb, coalesce(@now::timestamptz, now()));
