-- Apply a batch of attempt outcomes in one statement. Fenced: only the attempt that still holds the job
-- (same attempt, same worker, still running) may end it; a late outcome from a rescued attempt changes nothing.
-- A rescue applies only while the lease is still expired, so a heartbeat that landed after the rescuer looked wins.
-- A job asked to cancel that would otherwise run again ends cancelled instead.
UPDATE conveyor_jobs AS j
SET change_seq = (SELECT value + 1 FROM conveyor_counters WHERE name = 'change'),
    state = CASE WHEN j.cancel_requested_at IS NOT NULL AND o.state IN ('scheduled', 'queued') THEN 'cancelled' ELSE o.state END,
    attempt = j.attempt - o.refund,
    result = o.result,
    run_at = CASE WHEN o.delay IS NULL THEN j.run_at WHEN o.delay = 0 THEN @now ELSE strftime('%Y-%m-%dT%H:%M:%f000Z', @now, printf('%+.3f seconds', o.delay)) END,
    finished_at = CASE WHEN o.state IN ('completed', 'failed', 'cancelled') OR j.cancel_requested_at IS NOT NULL THEN @now END,
    lease_until = NULL,
    worker_id = CASE WHEN o.state IN ('completed', 'failed', 'cancelled') THEN j.worker_id END,
    errors = CASE WHEN o.error IS NULL THEN j.errors ELSE json_insert(j.errors, '$[#]', json(o.error)) END,
    progress = CASE WHEN o.has_progress = 1 THEN o.progress ELSE j.progress END,
    progress_stage = CASE WHEN o.has_progress = 1 THEN o.progress_stage ELSE j.progress_stage END,
    progress_done = CASE WHEN o.has_progress = 1 THEN o.progress_done ELSE j.progress_done END,
    progress_total = CASE WHEN o.has_progress = 1 THEN o.progress_total ELSE j.progress_total END
-- jsonb_each, not json_each: json_each hands each outcome over as JSON text, which every ->> below parsed again (a fifth
-- of a SQLite drain's CPU in SQLite's JSON code); as JSONB each field is a lookup. bench drain --store sqlite
-- --concurrency 32 --runs 4, three pairs: 18,639-23,504 -> 23,800-31,139 jobs/s, bulk enqueue (job_insert_many.sql, the
-- same change) 36,837-47,058 -> 59,938-87,432.
FROM (SELECT value ->> 'id' AS id, value ->> 'attempt' AS attempt, value ->> 'worker' AS worker,
             value ->> 'state' AS state, value ->> 'result' AS result, value ->> 'error' AS error,
             value ->> 'delay' AS delay, value ->> 'refund' AS refund, value ->> 'rescue' AS rescue,
             value ->> 'has_progress' AS has_progress, value ->> 'progress' AS progress,
             value ->> 'progress_stage' AS progress_stage, value ->> 'progress_done' AS progress_done,
             value ->> 'progress_total' AS progress_total
      FROM jsonb_each(@outcomes)) AS o
WHERE j.id = o.id AND j.attempt = o.attempt AND j.worker_id = o.worker AND j.state = 'running'
  AND (o.rescue = 0 OR j.lease_until < @now)
-- SQLite's RETURNING names the updated table's columns unqualified.
RETURNING id, queue, state,
          -- an unfinished batch with callbacks whose job this ended: the store checks whether it was the last (batch_finish.sql)
          CASE WHEN batch_id IS NOT NULL AND state IN ('completed', 'failed', 'cancelled')
               THEN (SELECT count(*) FROM conveyor_batches AS b WHERE b.id = batch_id AND b.finished_at IS NULL) ELSE 0 END AS batches_locked,
          -- a job others wait on ended: the store releases them in this transaction (dependency_release.sql)
          state IN ('completed', 'failed', 'cancelled') AND has_dependents AS has_dependents;


-- Stamped rows take the counter's next value; it moves only when this statement changed rows.
UPDATE conveyor_counters SET value = value + 1 WHERE name = 'change' AND changes() > 0;
