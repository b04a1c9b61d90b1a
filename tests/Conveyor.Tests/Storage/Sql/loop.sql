SELECT 1;
-- include: loop
