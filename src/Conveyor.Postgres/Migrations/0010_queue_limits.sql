-- Queue limits, checked inside the claim (job_claim.sql): concurrency across all processes, per concurrency_key, and a
-- rate in fixed windows. The rate's current window is kept on the row (its end and the starts in it), written only by
-- claims that hold the row's lock. Running jobs are counted through jobs_queue_state (a queue's running jobs are at most
-- the slots that serve it).
ALTER TABLE conveyor.queues
    ADD COLUMN concurrency_limit integer CHECK (concurrency_limit > 0),
    ADD COLUMN per_key_limit     integer CHECK (per_key_limit > 0),
    ADD COLUMN rate_limit        integer CHECK (rate_limit > 0),
    ADD COLUMN rate_period_ms    bigint  CHECK (rate_period_ms > 0),
    ADD COLUMN rate_window_until timestamptz,
    ADD COLUMN rate_window_count integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT queues_rate_whole CHECK ((rate_limit IS NULL) = (rate_period_ms IS NULL));

-- A per-key limit's claim finds the keys with ready jobs by a skip scan (one probe a key) and walks each key's jobs in
-- claim order. Only jobs with a key are in it: unkeyed jobs, the hot path's usual case, pay no extra index write.
CREATE INDEX jobs_ready_key ON conveyor.jobs (queue, concurrency_key, priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled') AND concurrency_key IS NOT NULL;
