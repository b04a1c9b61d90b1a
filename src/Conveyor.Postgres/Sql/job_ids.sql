-- Ids only, for acting on everything a filter selects (the caller adds the filter and keyset paging).
SELECT id FROM conveyor.jobs
