"""Persistence: tables (models.py), the async engine (database.py), migrations (Alembic)."""
