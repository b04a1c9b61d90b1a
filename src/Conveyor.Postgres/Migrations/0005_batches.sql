-- Batches with callbacks. A batch row exists only when callbacks were asked for; its callbacks are enqueued exactly once,
-- in the transaction that ends its last job (the batch row is locked first, so two transactions ending the last two
-- jobs at the same instant are ordered, and the second sees the first's outcome).
CREATE TABLE conveyor.batches (
    id            text        PRIMARY KEY,
    callbacks     jsonb       NOT NULL, -- [{"on": "complete|success|failure", "kind", "queue", "args", "max_attempts"}]
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    outcome       text,
    callback_jobs jsonb
);
