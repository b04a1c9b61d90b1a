-- Delete many: every job among @ids that is not running (a running job is cancelled first, then deleted).
DELETE FROM conveyor_jobs
WHERE id IN (SELECT value FROM json_each(@ids)) AND state <> 'running'
RETURNING id, state AS previous_state, NULL AS state, queue;
