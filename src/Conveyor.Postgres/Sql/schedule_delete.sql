-- A schedule and its ledger.
WITH runs AS (DELETE FROM conveyor.schedule_runs WHERE schedule = @name)
DELETE FROM conveyor.schedules WHERE name = @name RETURNING name;
