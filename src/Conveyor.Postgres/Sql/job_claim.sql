-- Claim up to @max ready jobs from the queues without limits (after job_claim_limited.sql, what it left of @max).
-- SKIP LOCKED lets many workers claim at once without waiting on or double-claiming each other's rows; the order is
-- priority, then run_at, then id.
-- One index walk per queue (LATERAL): with "queue = ANY(@queues)" the planner could not read the partial
-- index jobs_ready in claim order and sorted the whole ready set on every claim (6 ms a claim at 20,000
-- queued jobs, 2,500 jobs/s drained); per queue it reads @max rows and stops.
-- Due scheduled jobs count as ready, so a retry's back-off never waits on the promoter. Paused and limited queues have
-- none here: a limit set a moment ago is never skipped, whatever a process believes about which queues are limited.
-- "Due" and the lease are judged by the database's clock, so a worker whose clock runs ahead starts nothing early.
-- @kinds (null: any) holds the kinds the worker has handlers for: a job of another kind is passed over, uncharged, and
-- waits for a worker that knows it, without holding back the jobs behind it.
WITH clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
allowed AS (SELECT array_agg(k) AS kinds FROM jsonb_array_elements_text(@kinds::jsonb) AS k),
ready AS (
    SELECT r.id, r.state
    FROM clock, allowed, jsonb_array_elements_text(@queues::jsonb) AS q(name)
    CROSS JOIN LATERAL (
        SELECT id, priority, run_at, state FROM conveyor.jobs
        WHERE state IN ('queued', 'scheduled')
          AND queue = q.name
          AND run_at <= clock.now
          AND (allowed.kinds IS NULL OR kind = ANY (allowed.kinds))
          AND NOT EXISTS (SELECT 1 FROM conveyor.queues AS p WHERE p.name = q.name AND (p.paused_at IS NOT NULL
              OR p.concurrency_limit IS NOT NULL OR p.per_key_limit IS NOT NULL OR p.rate_limit IS NOT NULL))
        ORDER BY priority DESC, run_at, id
        LIMIT @max
        FOR UPDATE SKIP LOCKED
    ) AS r
    ORDER BY r.priority DESC, r.run_at, r.id
    -- What job_claim_limited.sql left of @max: the rows it stamped carry this transaction's id (none when it did not run).
    -- The id comes from a scalar subquery so that it is a condition of the jobs_change walk; joined with clock, it was
    -- a filter over the whole index (2.5 ms a claim at 20,000 jobs).
    LIMIT greatest(0, @max - (SELECT count(*) FROM conveyor.jobs AS c WHERE c.change_seq = (SELECT seq FROM clock)))
),
-- include: job_claim_transition
SELECT id, queue, kind, args, attempt, max_attempts, priority, created_at, batch_id, timeout, run_at, traceparent FROM claimed;
