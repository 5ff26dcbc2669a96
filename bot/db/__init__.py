"""Database: models, sessions, queries and Alembic migrations."""
