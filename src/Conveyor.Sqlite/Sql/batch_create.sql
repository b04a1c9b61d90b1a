INSERT INTO conveyor_batches (id, callbacks, created_at) VALUES (@id, @callbacks, @now)
ON CONFLICT (id) DO NOTHING
RETURNING id;
