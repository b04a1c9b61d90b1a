-- Fewer index writes per state change (as PostgreSQL's migration 0011). SQLite rewrites an index entry when a column
-- it holds (or its WHERE clause reads) changes, so every claim and every outcome rewrote conveyor_jobs_queue_state, and
-- every claim, heartbeat and outcome conveyor_jobs_lease.
-- * conveyor_jobs_queue_state (queue, state) held every job; its readers were the limited claim's running counts and
--   job lists by queue and state. Running jobs now have conveyor_jobs_running, written at claim and outcome only (a
--   heartbeat changes neither its columns nor its state); queued and scheduled lists read conveyor_jobs_ready; finished
--   lists read conveyor_jobs_finished, which now leads with the state, as does the pruner.
-- * conveyor_jobs_lease (lease_until) went too: the rescuer looks for expired leases among running jobs
--   (conveyor_jobs_running: at most the slots and claimed-ahead buffers of the live workers).
-- A list of a rare finished state in one queue (failed in queue Q) now walks ids newest first: 23 ms at 300,000
-- finished jobs; the hot path pays for it with nothing. Measured (`Conveyor.Bench drain --store sqlite --concurrency 32`,
-- 20,000 no-op jobs, 2 cores): 14,621-15,559 jobs/s before, 16,836-17,432 after.
DROP INDEX conveyor_jobs_queue_state;
DROP INDEX conveyor_jobs_lease;
DROP INDEX conveyor_jobs_finished;
CREATE INDEX conveyor_jobs_running ON conveyor_jobs (queue, concurrency_key) WHERE state = 'running';
CREATE INDEX conveyor_jobs_finished ON conveyor_jobs (state, finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
