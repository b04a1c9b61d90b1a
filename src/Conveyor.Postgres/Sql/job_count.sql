-- How many jobs a filter selects, once, for a bulk action's progress (never for the overview's counts).
SELECT count(*) AS count FROM conveyor.jobs
