SELECT version FROM conveyor_migrations;
