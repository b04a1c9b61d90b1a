SELECT pg_notify('conveyor_jobs', @queue);
