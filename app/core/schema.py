"""What every table shares: the metadata's constraint naming and how times are stored.

Every models.py imports from here, so the naming convention is in place before any table exists.
"""

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlmodel import SQLModel

# Stable constraint names, so Alembic sees the same schema on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store and return UTC on both databases."""
    return datetime.now(UTC)
