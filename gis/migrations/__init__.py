"""Alembic environment and revisions; each revision runs its frozen SQL from ``gis/sql``."""
