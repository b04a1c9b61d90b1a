-- Table sources: tables another system writes (uploaded_files with a status column), polled by every process. The
-- definition is the validated source as JSON; the counters are written by the same statement that moves the rows.
CREATE TABLE conveyor.table_sources (
    name           text        PRIMARY KEY,
    definition     jsonb       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_polled_at timestamptz,
    last_moved     integer     NOT NULL DEFAULT 0,
    total_moved    bigint      NOT NULL DEFAULT 0
);
