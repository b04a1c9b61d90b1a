SELECT state, queue FROM conveyor.jobs WHERE id = @id FOR UPDATE;
