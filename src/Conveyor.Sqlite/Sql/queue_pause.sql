-- Pause or resume a queue (a row is created for a queue never seen); returns whether it was paused before.
SELECT coalesce((SELECT paused_at IS NOT NULL FROM conveyor_queues WHERE name = @queue), 0) AS was_paused;

INSERT INTO conveyor_queues (name, paused_at) VALUES (@queue, CASE WHEN @paused THEN @now END)
ON CONFLICT (name) DO UPDATE SET paused_at = CASE WHEN @paused THEN coalesce(paused_at, excluded.paused_at) END;
