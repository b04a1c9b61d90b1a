-- SQLite keeps its totals with triggers inside the writer's transaction (one writer at a time: no one waits on
-- them), so there is nothing to fold.
SELECT 0 AS folded
