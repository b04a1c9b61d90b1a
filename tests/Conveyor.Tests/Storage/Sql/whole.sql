WITH x AS (
-- include: part
)
SELECT * FROM x;
