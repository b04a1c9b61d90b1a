-- One writer at a time: every committed change is at or below the counter. Read before the rows.
SELECT value + 1 AS settled FROM conveyor_counters WHERE name = 'change'
