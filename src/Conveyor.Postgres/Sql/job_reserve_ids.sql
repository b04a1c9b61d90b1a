-- Ids for a bulk insert by COPY (PostgresDialect.BulkInsertAsync), taken from the jobs' identity sequence (named by
-- PostgreSQL for migration 0001's identity column) before the rows are sent: COPY returns nothing, and the caller
-- needs each job's id in request order. One call's values ascend. The sequence is named, not looked up: with
-- pg_get_serial_sequence in the statement, 20,000 ids took 73-83 ms; named, 7 ms.
SELECT nextval('conveyor.jobs_id_seq'::regclass) AS id FROM generate_series(1, @n);
