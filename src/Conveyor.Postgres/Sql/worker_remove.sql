DELETE FROM conveyor.workers WHERE id = @id;
