-- Tells the worker holding a running job that its cancellation was asked for. The payload is the job id only.
SELECT pg_notify('conveyor_cancel', @id);
