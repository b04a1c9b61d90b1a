-- The dependencies a new job names that exist, marked as waited on, in id order. The mark is a row write: a transaction
-- ending one of them waits for this one's commit and then updates the newest version of the row, so its outcome
-- statement returns has_dependents = true and it releases the new job (a flag read in its own, older snapshot, or an
-- EXISTS on the edges, would miss edges committed while it waited). One that ended first is seen ended by this
-- transaction's own release step, a later statement.
WITH marked AS (
    SELECT id FROM conveyor.jobs WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(@ids::jsonb))
    ORDER BY id FOR NO KEY UPDATE)
UPDATE conveyor.jobs AS j SET has_dependents = true FROM marked WHERE j.id = marked.id
RETURNING j.id;
