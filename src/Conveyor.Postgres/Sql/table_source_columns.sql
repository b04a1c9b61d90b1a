-- The columns of @table (a quoted, possibly schema-qualified name; NULL when there is no such table or view).
SELECT a.attname::text AS name FROM pg_attribute AS a
WHERE a.attrelid = to_regclass(@table) AND a.attnum > 0 AND NOT a.attisdropped;
