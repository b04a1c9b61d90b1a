INSERT INTO conveyor.batches (id, callbacks, created_at) VALUES (@id, @callbacks::jsonb, coalesce(@now::timestamptz, now()))
ON CONFLICT (id) DO NOTHING
RETURNING id;
