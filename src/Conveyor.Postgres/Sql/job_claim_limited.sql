-- The claim when a worker's queues include a limited one: these two statements and job_claim.sql's, in one round trip and
-- one transaction (an implicit one: Npgsql sends them with a single Sync).
-- 1. The rows of the limited queues among @queues are locked, in name order so that claims cannot deadlock. A limit is a
--    count of running jobs, which one statement cannot read fresh after waiting for a lock (READ COMMITTED reads at the
--    statement's start); the next statement starts after the lock is granted, so it sees every claim committed before it.
-- 2. The limited queues' claim, with their limits.
-- 3. job_claim.sql: the other queues' claim, for what is left of @max. Limited queues go first: their room is small by
--    nature, and otherwise a busy unlimited queue served by the same worker would take every slot.
-- A worker none of whose queues has a limit sends job_claim.sql alone (PostgresDialect.ClaimSqlAsync). Sending these
-- statements too on every claim cost the unlimited drain 18-25 % even though they found nothing to do (durable
-- PostgreSQL, 24 slots, 20,000 no-op jobs: 6,453 jobs/s without, 5,288 with; 4,620 with all three; medians of 3
-- interleaved).
SELECT FROM conveyor.queues
WHERE name IN (SELECT jsonb_array_elements_text(@queues::jsonb))
  AND (concurrency_limit IS NOT NULL OR per_key_limit IS NOT NULL OR rate_limit IS NOT NULL)
ORDER BY name
FOR UPDATE;

-- 2. The limited queues' claim (none: nothing to do). SKIP LOCKED lets many workers claim at once without waiting on or
-- double-claiming each other's rows; the order is priority, then run_at, then id.
-- One index walk per queue (LATERAL): with "queue = ANY(@queues)" the planner could not read the partial
-- index jobs_ready in claim order and sorted the whole ready set on every claim (6 ms a claim at 20,000
-- queued jobs, 2,500 jobs/s drained); per queue it reads @max rows and stops.
-- Due scheduled jobs count as ready, so a retry's back-off never waits on the promoter. Paused queues have none.
-- "Due" and the lease are judged by the database's clock, so a worker whose clock runs ahead starts nothing early.
-- @kinds (null: any) holds the kinds the worker has handlers for: a job of another kind is passed over, uncharged, and
-- waits for a worker that knows it, without holding back the jobs behind it.
-- Limits: "room" is how many a queue may start now (its concurrency limit less its running jobs, what is left of its
-- rate window). Of @max, @ahead are for the worker's buffer rather than its free slots; those come only from places
-- beyond the last @reserve (the worker's slot count), so that one worker's buffer never holds the places other workers'
-- free slots could run: with a limit of 10 and three workers of 4 slots, the first one's claim of 4 + 20 ahead had
-- taken all 10 and run 4 at a time while the others idled; now it takes 6 and the second 4. In a queue with a per-key
-- limit, unkeyed jobs are walked as above, and keyed ones key by key: every key with ready jobs is found by a skip scan
-- of jobs_ready_key (one probe a key), the keys with places left are ranked by their best job, and the first (room) of
-- them give up to (limit - running) jobs each. So one key's backlog never hides other keys' jobs behind it, and no more
-- rows are locked than could be claimed. Jobs a limit holds back are not touched.
WITH RECURSIVE clock AS (SELECT coalesce(@now::timestamptz, now()) AS now, pg_current_xact_id()::text::bigint AS seq),
allowed AS (SELECT array_agg(k) AS kinds FROM jsonb_array_elements_text(@kinds::jsonb) AS k),
room AS (
    SELECT q.name, l.per_key_limit,
           CASE WHEN l.paused_at IS NOT NULL THEN 0 ELSE least(@max,
               CASE WHEN spare.n IS NULL THEN @max
                    ELSE greatest(least(@max - @ahead, spare.n), least(@max, spare.n - @reserve)) END,
               CASE WHEN l.rate_limit IS NULL THEN @max
                    WHEN l.rate_window_until IS NULL OR clock.now >= l.rate_window_until THEN l.rate_limit
                    ELSE l.rate_limit - l.rate_window_count END) END AS n,
           CASE WHEN l.per_key_limit IS NOT NULL THEN
               (SELECT coalesce(jsonb_object_agg(k.concurrency_key, k.n), '{}') FROM (
                   SELECT r.concurrency_key, count(*) AS n FROM conveyor.jobs AS r
                   WHERE r.state = 'running' AND r.queue = q.name AND r.concurrency_key IS NOT NULL
                   GROUP BY r.concurrency_key) AS k) END AS key_running
    FROM clock, jsonb_array_elements_text(@queues::jsonb) AS q(name)
    JOIN conveyor.queues AS l ON l.name = q.name
    LEFT JOIN LATERAL (
        SELECT l.concurrency_limit - (SELECT count(*) FROM conveyor.jobs AS r WHERE r.state = 'running' AND r.queue = q.name) AS n
        WHERE l.concurrency_limit IS NOT NULL) AS spare ON true
    WHERE l.concurrency_limit IS NOT NULL OR l.per_key_limit IS NOT NULL OR l.rate_limit IS NOT NULL
),
keys(queue, concurrency_key) AS (
    SELECT room.name, (SELECT j.concurrency_key FROM conveyor.jobs AS j
                       WHERE j.state IN ('queued', 'scheduled') AND j.queue = room.name AND j.concurrency_key IS NOT NULL
                       ORDER BY j.concurrency_key LIMIT 1)
    FROM room WHERE room.per_key_limit IS NOT NULL AND room.n > 0
    UNION ALL
    SELECT k.queue, (SELECT j.concurrency_key FROM conveyor.jobs AS j
                     WHERE j.state IN ('queued', 'scheduled') AND j.queue = k.queue AND j.concurrency_key > k.concurrency_key
                     ORDER BY j.concurrency_key LIMIT 1)
    FROM keys AS k WHERE k.concurrency_key IS NOT NULL
),
key_heads AS (
    SELECT k.queue, k.concurrency_key, room.per_key_limit - coalesce((room.key_running ->> k.concurrency_key)::int, 0) AS places,
           row_number() OVER (PARTITION BY k.queue ORDER BY h.priority DESC, h.run_at, h.id) AS pick, room.n
    FROM clock, allowed, keys AS k
    JOIN room ON room.name = k.queue
    CROSS JOIN LATERAL (
        SELECT priority, run_at, id FROM conveyor.jobs
        WHERE state IN ('queued', 'scheduled') AND queue = k.queue AND concurrency_key = k.concurrency_key AND run_at <= clock.now
          AND (allowed.kinds IS NULL OR kind = ANY (allowed.kinds))
        ORDER BY priority DESC, run_at, id
        LIMIT 1
    ) AS h
    WHERE k.concurrency_key IS NOT NULL
      AND coalesce((room.key_running ->> k.concurrency_key)::int, 0) < room.per_key_limit
),
candidates AS (
    SELECT room.name AS queue, room.n, r.id, r.priority, r.run_at, r.state
    FROM clock, allowed, room
    CROSS JOIN LATERAL (
        SELECT id, priority, run_at, state FROM conveyor.jobs
        WHERE state IN ('queued', 'scheduled')
          AND queue = room.name
          AND run_at <= clock.now
          AND (allowed.kinds IS NULL OR kind = ANY (allowed.kinds))
          AND (room.per_key_limit IS NULL OR concurrency_key IS NULL)
        ORDER BY priority DESC, run_at, id
        LIMIT @max
        FOR UPDATE SKIP LOCKED
    ) AS r
    WHERE room.n > 0
    UNION ALL
    SELECT h.queue, h.n, r.id, r.priority, r.run_at, r.state
    FROM clock, allowed, key_heads AS h
    CROSS JOIN LATERAL (
        SELECT id, priority, run_at, state FROM conveyor.jobs
        WHERE state IN ('queued', 'scheduled') AND queue = h.queue AND concurrency_key = h.concurrency_key AND run_at <= clock.now
          AND (allowed.kinds IS NULL OR kind = ANY (allowed.kinds))
        ORDER BY priority DESC, run_at, id
        LIMIT h.places
        FOR UPDATE SKIP LOCKED
    ) AS r
    WHERE h.pick <= h.n
),
eligible AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.queue ORDER BY c.priority DESC, c.run_at, c.id) AS queue_rank
    FROM candidates AS c
),
ready AS (
    SELECT id, state FROM eligible
    WHERE queue_rank <= n
    ORDER BY priority DESC, run_at, id
    LIMIT @max
),
-- include: job_claim_transition
,
rated AS (
    -- A rate-limited queue counts its starts in the current window, or opens a new one with this claim's.
    UPDATE conveyor.queues AS l
    SET rate_window_count = CASE WHEN l.rate_window_until IS NULL OR clock.now >= l.rate_window_until THEN s.n ELSE l.rate_window_count + s.n END,
        rate_window_until = CASE WHEN l.rate_window_until IS NULL OR clock.now >= l.rate_window_until
                                 THEN clock.now + make_interval(secs => l.rate_period_ms / 1000.0) ELSE l.rate_window_until END
    FROM clock, (SELECT queue, count(*) AS n FROM claimed GROUP BY queue) AS s
    WHERE l.name = s.queue AND l.rate_limit IS NOT NULL)
SELECT id, queue, kind, args, attempt, max_attempts, priority, created_at, batch_id, timeout, run_at, traceparent FROM claimed;
