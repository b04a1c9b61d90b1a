-- The dependencies a new job names that exist, marked as waited on (their outcome then releases their dependents).
-- One writer at a time: nothing to lock.
UPDATE conveyor_jobs SET has_dependents = 1 WHERE id IN (SELECT value FROM json_each(@ids))
RETURNING id;
