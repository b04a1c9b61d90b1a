-- Delete many: every job among @ids that is not running (a running job is cancelled first, then deleted).
DELETE FROM conveyor.jobs
WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb)) AND state <> 'running'
RETURNING id, state AS previous_state, NULL::text AS state, queue;
