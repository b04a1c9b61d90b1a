-- What features attach to a job as JSON: today the W3C trace context of the code that enqueued it
-- ({"traceparent": "00-...", "tracestate": "..."}), so that its attempts continue that trace on any machine.
ALTER TABLE conveyor_jobs ADD COLUMN meta TEXT;
