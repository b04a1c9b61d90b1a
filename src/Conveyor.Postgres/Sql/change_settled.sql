-- Changes are stamped with their transaction's id. Every transaction below the oldest one still running has ended,
-- so no change below this can still appear; read before the rows, so that the rows' snapshot is newer.
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS settled
