SELECT pg_advisory_lock(hashtext(@key));
