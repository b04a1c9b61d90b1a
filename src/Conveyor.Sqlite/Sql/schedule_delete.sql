-- A schedule and its ledger.
DELETE FROM conveyor_schedule_runs WHERE schedule = @name;

DELETE FROM conveyor_schedules WHERE name = @name RETURNING name;
