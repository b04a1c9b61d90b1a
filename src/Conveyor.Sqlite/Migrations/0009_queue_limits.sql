-- Queue limits, checked inside the claim (job_claim_ready.sql): concurrency across all processes, per concurrency_key,
-- and a rate in fixed windows, whose current window (its end and the starts in it) is kept on the row. Running jobs are
-- counted through conveyor_jobs_queue_state.
ALTER TABLE conveyor_queues ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit > 0);
ALTER TABLE conveyor_queues ADD COLUMN per_key_limit INTEGER CHECK (per_key_limit > 0);
ALTER TABLE conveyor_queues ADD COLUMN rate_limit INTEGER CHECK (rate_limit > 0);
ALTER TABLE conveyor_queues ADD COLUMN rate_period_ms INTEGER CHECK (rate_period_ms > 0);
ALTER TABLE conveyor_queues ADD COLUMN rate_window_until TEXT;
ALTER TABLE conveyor_queues ADD COLUMN rate_window_count INTEGER NOT NULL DEFAULT 0;

-- A per-key limit's claim finds the keys with ready jobs by a skip scan (one probe a key) and walks each key's jobs in
-- claim order. Only jobs with a key are in it: unkeyed jobs pay no extra index write.
CREATE INDEX conveyor_jobs_ready_key ON conveyor_jobs (queue, concurrency_key, priority DESC, run_at, id)
    WHERE state IN ('queued', 'scheduled') AND concurrency_key IS NOT NULL;
