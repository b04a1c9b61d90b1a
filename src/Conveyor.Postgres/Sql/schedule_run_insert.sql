-- Claim one tick in the ledger. A tick another process is recording waits for its transaction and then inserts
-- nothing: the row returned says this call owns the tick (and enqueues its job in the same transaction).
INSERT INTO conveyor.schedule_runs (schedule, scheduled_for, fate, recorded_at)
VALUES (@name, @scheduled_for, @fate, coalesce(@now::timestamptz, now()))
ON CONFLICT DO NOTHING
RETURNING schedule, scheduled_for, fate, job_id, recorded_at;
