"""Storage: engine and sessions, the schema as models, migrations, and opening a database."""

from bot.db.database import Database, open_database
from bot.db.engine import (
    READ_ONLY,
    SessionFactory,
    create_engine,
    create_session_factory,
    run_in_transaction,
)
from bot.db.migrate import DatabaseNotReady, ensure_database_ready

__all__ = [
    "READ_ONLY",
    "Database",
    "DatabaseNotReady",
    "SessionFactory",
    "create_engine",
    "create_session_factory",
    "ensure_database_ready",
    "open_database",
    "run_in_transaction",
]
