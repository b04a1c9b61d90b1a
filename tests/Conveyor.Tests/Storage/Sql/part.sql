-- a part
SELECT 1 AS one
