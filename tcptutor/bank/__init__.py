"""The question bank: SQLAlchemy models, migrations, build, queries (the I/O side)."""
