-- Batches with callbacks. A batch row exists only when callbacks were asked for; its callbacks are enqueued exactly once,
-- in the transaction that ends its last job (SQLite has one writer at a time, so that transaction sees every other).
CREATE TABLE conveyor_batches (
    id            TEXT PRIMARY KEY,
    callbacks     TEXT NOT NULL, -- [{"on": "complete|success|failure", "kind", "queue", "args", "max_attempts"}]
    created_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT,
    callback_jobs TEXT
);
