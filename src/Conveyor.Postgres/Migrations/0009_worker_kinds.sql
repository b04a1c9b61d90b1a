-- The kinds each worker has handlers for (NULL: any, as an external worker that does not say), so that "why is my job
-- not running?" can name a kind no live worker runs.
ALTER TABLE conveyor.workers ADD COLUMN kinds text[] NULL;
