SELECT version FROM conveyor.schema_migrations;
