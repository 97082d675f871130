"""Database URLs to async engines: SQLite (WAL) by default, PostgreSQL for production."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, event, select
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from storage.errors import DatabaseURLError

__all__ = [
    "DatabaseKind",
    "blocking_sqlite_engine",
    "create_engine",
    "database_kind",
    "make_sessionmaker",
    "mask_database_url",
    "normalize_database_url",
    "ping",
]

DatabaseKind = Literal["sqlite", "postgresql"]

_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"})
_POSTGRES_DRIVERS = frozenset(
    {
        "postgres",
        "postgresql",
        "postgresql+asyncpg",
        "postgresql+psycopg2",
        "postgresql+psycopg",
    }
)
_EXPECTED = "expected sqlite:///path or postgresql://user@host/db"

# SQLite waits this long for another writer's lock before answering "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000
# asyncpg's own default connect timeout is 60 s; a replica should notice a dead server sooner.
POSTGRES_CONNECT_TIMEOUT_S = 10.0


def mask_database_url(url: str) -> str:
    """Return ``url`` fit for a message or log line: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        pass
    head, at, host = url.rpartition("@")
    if not at:
        return url
    scheme, sep, userinfo = head.rpartition("://")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"{scheme}{sep}{userinfo}@{host}"


def display_database_url(url: str) -> str:
    """``url`` for a person: password masked, the driver left out (``postgresql://…``)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return mask_database_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def _parse(url: str) -> URL:
    """Parse a DATABASE_URL we support, or raise DatabaseURLError naming what was given."""
    problem = f"DATABASE_URL: {_EXPECTED}, got {mask_database_url(url)!r}"
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise DatabaseURLError(problem) from exc
    if parsed.drivername not in _SQLITE_DRIVERS | _POSTGRES_DRIVERS:
        raise DatabaseURLError(problem)
    if parsed.drivername in _POSTGRES_DRIVERS and not parsed.database:
        raise DatabaseURLError(f"{problem} (no database name)")
    return parsed


def _async_url(url: str) -> URL:
    parsed = _parse(url)
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed.set(drivername="sqlite+aiosqlite")
    query = dict(parsed.query)
    # libpq spells it sslmode; asyncpg takes the same values as its ``ssl`` argument.
    if "sslmode" in query:
        sslmode = query.pop("sslmode")
        query.setdefault("ssl", sslmode)
    return parsed.set(drivername="postgresql+asyncpg", query=query)


def normalize_database_url(url: str) -> str:
    """Return ``url`` with its async driver (aiosqlite / asyncpg); DatabaseURLError if unsupported."""
    async_url = _async_url(url)
    if async_url.drivername == "sqlite+aiosqlite":
        # Keep the path as written: rendering would percent-encode it (":memory:" → "%3Amemory%3A").
        return "sqlite+aiosqlite:" + url.strip().split(":", 1)[1]
    return async_url.render_as_string(hide_password=False)


def database_kind(url: str) -> DatabaseKind:
    """Return which database ``url`` points at."""
    return "sqlite" if _parse(url).drivername in _SQLITE_DRIVERS else "postgresql"


def _is_sqlite_file(database: str | None) -> bool:
    return database not in (None, "", ":memory:") and not str(database).startswith("file:")


def _sqlite_pragmas(
    *,
    foreign_keys: bool,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    wal_autocheckpoint: int | None = None,
) -> Callable[[Any, ConnectionPoolEntry], None]:
    """Return the connect listener that sets our pragmas on each new SQLite connection.

    ``wal_autocheckpoint``: pages of WAL after which a commit checkpoints (SQLite's 1,000
    when None; 0: this connection never does).
    """
    pragmas = [
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={busy_timeout_ms}",
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
    ]
    if wal_autocheckpoint is not None:
        pragmas.append(f"PRAGMA wal_autocheckpoint={wal_autocheckpoint}")

    def set_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return set_pragmas


def create_engine(url: str, *, sqlite_foreign_keys: bool = True, **kw: Any) -> AsyncEngine:
    """Create the async engine for ``url`` (any accepted form); extra keywords go to SQLAlchemy.

    ``sqlite_foreign_keys=False`` is for migrations only: with foreign keys on, the table
    rebuilds of Alembic's batch mode would fire ON DELETE CASCADE on every child table.
    """
    async_url = _async_url(url)
    if async_url.drivername == "sqlite+aiosqlite":
        if _is_sqlite_file(async_url.database):
            Path(str(async_url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url, **kw)
        event.listen(
            engine.sync_engine, "connect", _sqlite_pragmas(foreign_keys=sqlite_foreign_keys)
        )
        return engine
    connect_args = {"timeout": POSTGRES_CONNECT_TIMEOUT_S, **kw.pop("connect_args", {})}
    kw.setdefault("pool_pre_ping", True)
    if "poolclass" not in kw:
        kw.setdefault("pool_size", 5)
        kw.setdefault("max_overflow", 10)
        kw.setdefault("pool_timeout", 30)
        # Recycle before typical load-balancer / PgBouncer idle cut-offs close the socket on us.
        kw.setdefault("pool_recycle", 1800)
    return create_async_engine(async_url, connect_args=connect_args, **kw)


def blocking_sqlite_engine(
    engine: AsyncEngine,
    *,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
    wal_autocheckpoint: int | None = None,
) -> Engine | None:
    """A synchronous engine on the same SQLite file as ``engine``, with the same pragmas.

    For webhook intake, whose batches are cheaper run straight on the event loop than
    through aiosqlite's thread (a hop per statement, fetch and commit). None unless
    ``engine`` is on a SQLite file (an in-memory database is private to its connection).
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not _is_sqlite_file(url.database):
        return None
    blocking = create_sync_engine(url.set(drivername="sqlite+pysqlite"))
    event.listen(
        blocking,
        "connect",
        _sqlite_pragmas(
            foreign_keys=True,
            busy_timeout_ms=busy_timeout_ms,
            wal_autocheckpoint=wal_autocheckpoint,
        ),
    )
    return blocking


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory: one session per unit of work, rows usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine, *, max_seconds: float = 1.5) -> bool:
    """Return True if the database answers ``SELECT 1`` within ``max_seconds``."""
    try:
        async with asyncio.timeout(max_seconds), engine.connect() as conn:
            await conn.execute(select(1))
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
    return True
