"""Alembic, configured in code: the migrations ship inside the package, no alembic.ini."""

from __future__ import annotations

import shlex
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import func, make_url, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import create_engine, display_database_url, normalize_database_url
from storage.errors import MigrationError

__all__ = ["MIGRATIONS_DIR", "MIGRATION_LOCK_ID", "migrations_config", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant unique to this app; held for the migration transaction on PostgreSQL.
MIGRATION_LOCK_ID = 0x5EB1E77B07


def migrations_config(url: str) -> Config:
    """Return the Alembic config for ``url`` (any accepted form of DATABASE_URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    # ConfigParser interpolation: a literal % (percent-encoded passwords) must be doubled.
    cfg.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return cfg


def _upgrade_on(connection: Connection, cfg: Config) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def upgrade(url: str) -> None:
    """Upgrade the database at ``url`` to the newest revision; safe inside a running loop."""
    cfg = migrations_config(url)
    # Foreign keys off on SQLite: the table rebuilds of batch mode would otherwise cascade.
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together: one migrates, the others wait and find it at head.
                await conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
            await conn.run_sync(_upgrade_on, cfg)
            if conn.dialect.name == "sqlite":
                violations = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                if violations:
                    raise MigrationError(
                        f"migration left {len(violations)} rows violating foreign keys, "
                        f"first: {tuple(violations[0])}"
                    )
    except (SQLAlchemyError, OSError) as exc:
        where = display_database_url(url)
        if _no_such_database(exc):
            raise MigrationError(_create_database_hint(url)) from exc
        raise MigrationError(f"migrating the database at {where} failed: {exc}") from exc
    finally:
        await engine.dispose()


def _no_such_database(exc: BaseException) -> bool:
    """PostgreSQL refused the connection because the database is not there (SQLSTATE 3D000).

    asyncpg raises InvalidCatalogNameError; SQLAlchemy wraps it, the code stays on the chain.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlstate", None) == "3D000":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _create_database_hint(url: str) -> str:
    """The error for a missing database, with the commands that create it."""
    parsed = make_url(normalize_database_url(url))
    name = parsed.database or ""
    where = ["-h", parsed.host or "localhost"]
    if parsed.port:
        where += ["-p", str(parsed.port)]
    if parsed.username:
        where += ["-U", parsed.username]
    createdb = shlex.join(["createdb", *where, name])
    quoted = name.replace('"', '""')
    psql = shlex.join(["psql", *where, "-d", "postgres", "-c", f'CREATE DATABASE "{quoted}"'])
    return (
        f"the database {name!r} does not exist on the PostgreSQL server at "
        f"{display_database_url(url)}; create it with `{createdb}` (or `{psql}`) and run again"
    )
