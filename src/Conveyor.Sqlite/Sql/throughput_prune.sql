-- Throughput minutes are kept for two days.
DELETE FROM conveyor_job_throughput WHERE minute < strftime('%Y-%m-%dT%H:%M:%f000Z', @now, '-2 days');
