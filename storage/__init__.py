"""Persistence: SQLAlchemy models, async engines, repositories and Alembic migrations."""
