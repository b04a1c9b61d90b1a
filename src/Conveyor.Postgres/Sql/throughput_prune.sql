-- Throughput minutes are kept for two days.
DELETE FROM conveyor.job_throughput WHERE minute < coalesce(@now::timestamptz, now()) - interval '2 days';
