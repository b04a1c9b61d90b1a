-- Pause or resume a queue (a row is created for a queue never seen); returns whether it was paused before.
WITH before AS (SELECT paused_at FROM conveyor.queues WHERE name = @queue)
INSERT INTO conveyor.queues AS q (name, paused_at)
VALUES (@queue, CASE WHEN @paused THEN coalesce(@now::timestamptz, now()) END)
ON CONFLICT (name) DO UPDATE SET paused_at = CASE WHEN @paused THEN coalesce(q.paused_at, EXCLUDED.paused_at) END
RETURNING coalesce((SELECT paused_at IS NOT NULL FROM before), false) AS was_paused;
