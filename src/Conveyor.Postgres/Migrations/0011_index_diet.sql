-- Fewer index writes per state change. A claim and an outcome change the row's state (and change_seq), so neither is a
-- HOT update: each writes a new entry into every index whose predicate the new row matches. Before this migration a job
-- cost 4 index writes at enqueue, 4 at claim and 4 at its outcome (pkey, jobs_queue_state, jobs_change, and jobs_ready,
-- jobs_lease or jobs_finished); now 3, 3 and 3.
-- * jobs_queue_state (queue, state) held every job. What read it: the limited claim's running counts, and job lists by
--   queue and state. Running jobs now have jobs_running, written once at claim; queued and scheduled lists read
--   jobs_ready; finished lists read jobs_finished, which now leads with the state (a queue's failed jobs among a million
--   completed ones are found by the state, not by walking ids), and the pruner reads it per state.
-- * jobs_lease (lease_until) went too: the rescuer looks for expired leases among running jobs (jobs_running: at most the
--   slots and claimed-ahead buffers of the live workers), and a heartbeat, which changes only lease_until, becomes a
--   HOT update that writes no index at all.
-- Measured on a durable PostgreSQL 15 (initdb defaults), 2 cores, `Conveyor.Bench drain --store postgres --concurrency 24`,
-- 20,000 no-op jobs: 17,677-18,640 jobs/s before; 20,061-21,960 with jobs_queue_state dropped; 20,068-20,195 with all of
-- this (the rescuer's and the lists' plans checked with EXPLAIN at 300,000 finished jobs: under 0.5 ms each).
DROP INDEX conveyor.jobs_queue_state;
DROP INDEX conveyor.jobs_lease;
DROP INDEX conveyor.jobs_finished;
CREATE INDEX jobs_running ON conveyor.jobs (queue, concurrency_key) WHERE state = 'running';
CREATE INDEX jobs_finished ON conveyor.jobs (state, finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
