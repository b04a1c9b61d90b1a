-- Claim one tick in the ledger (inside BEGIN IMMEDIATE: one writer at a time). The row returned says this call owns
-- the tick (and enqueues its job in the same transaction).
INSERT INTO conveyor_schedule_runs (schedule, scheduled_for, fate, recorded_at)
VALUES (@name, @scheduled_for, @fate, @now)
ON CONFLICT DO NOTHING
RETURNING schedule, scheduled_for, fate, job_id, recorded_at;
