"""DATABASE_URL parsing, SQLite pragmas, sessions and the health ping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from storage_samples import NOW

from storage.engine import (
    blocking_sqlite_engine,
    create_engine,
    database_kind,
    normalize_database_url,
    ping,
)
from storage.errors import DatabaseURLError
from storage.models import Connection


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///reviewbot.db", "sqlite+aiosqlite:///reviewbot.db"),
        ("sqlite:////var/lib/bot/r.db", "sqlite+aiosqlite:////var/lib/bot/r.db"),
        ("sqlite+aiosqlite:///./r.db", "sqlite+aiosqlite:///./r.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://bot@db/reviews", "postgresql+asyncpg://bot@db/reviews"),
        ("postgres://bot:pw@db:6432/reviews", "postgresql+asyncpg://bot:pw@db:6432/reviews"),
        ("postgresql+asyncpg://bot@db/reviews", "postgresql+asyncpg://bot@db/reviews"),
        ("postgresql+psycopg2://bot@db/reviews", "postgresql+asyncpg://bot@db/reviews"),
        ("postgresql://bot:p%40ss@db/reviews", "postgresql+asyncpg://bot:p%40ss@db/reviews"),
        (
            "postgres://bot@db/reviews?sslmode=require",
            "postgresql+asyncpg://bot@db/reviews?ssl=require",
        ),
    ],
)
def test_normalize_database_url_accepts(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://admin:s3cr3t-pw@db/reviews",
        "mysql+pymysql://admin:s3cr3t-pw@db/reviews",
        "http://admin:s3cr3t-pw@db/reviews",
        "postgresql://admin:s3cr3t-pw@db",
        "admin:s3cr3t-pw@db/reviews",
        "",
    ],
)
def test_normalize_database_url_rejects_without_echoing_the_password(url: str) -> None:
    with pytest.raises(DatabaseURLError) as caught:
        normalize_database_url(url)
    message = str(caught.value)
    assert message.startswith("DATABASE_URL: expected sqlite:///path or postgresql://")
    assert "s3cr3t-pw" not in message
    assert "\n" not in message


def test_database_kind() -> None:
    assert database_kind("sqlite:///x.db") == "sqlite"
    assert database_kind("sqlite+aiosqlite:///:memory:") == "sqlite"
    assert database_kind("postgres://u@h/d") == "postgresql"
    assert database_kind("postgresql+asyncpg://u@h/d") == "postgresql"
    with pytest.raises(DatabaseURLError):
        database_kind("mysql://u@h/d")


async def test_sqlite_engine_creates_the_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "reviewbot.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        await engine.dispose()
    assert path.exists()
    # synchronous: 1 is NORMAL.
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,
    }


async def test_blocking_sqlite_engine_has_the_same_file_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "reviewbot.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        assert blocking_sqlite_engine(create_engine("sqlite:///:memory:")) is None
        blocking = blocking_sqlite_engine(engine, busy_timeout_ms=0, wal_autocheckpoint=0)
        assert blocking is not None
        with blocking.connect() as conn:
            pragmas = {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in (
                    "journal_mode",
                    "foreign_keys",
                    "busy_timeout",
                    "synchronous",
                    "wal_autocheckpoint",
                )
            }
            database = conn.execute(text("PRAGMA database_list")).one()[2]
        blocking.dispose()
    finally:
        await engine.dispose()
    assert Path(database) == path
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 0,
        "synchronous": 1,
        "wal_autocheckpoint": 0,
    }


async def test_sessionmaker_keeps_rows_usable_after_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        connection = Connection(
            team_id="T1", platform="cloutly", name="C", token_encrypted="x", created_at=NOW
        )
        session.add(connection)
        await session.commit()
        # expire_on_commit=False: no lazy reload (which would fail outside a greenlet).
        assert connection.name == "C"
        assert connection.healthy is True


async def test_ping_is_true_on_a_live_database(engine: AsyncEngine) -> None:
    assert await ping(engine) is True


async def _ping_timed(url: str) -> tuple[bool, float]:
    engine = create_engine(url)
    started = time.monotonic()
    try:
        return await ping(engine), time.monotonic() - started
    finally:
        await engine.dispose()


async def test_ping_is_false_quickly_when_postgresql_refuses() -> None:
    alive, seconds = await _ping_timed("postgresql://postgres@127.0.0.1:1/x")
    assert alive is False
    assert seconds < 2


@pytest.mark.postgres
async def test_ping_is_false_when_the_database_does_not_exist(postgres_server: str) -> None:
    url = make_url(postgres_server).set(database="reviewbot_no_such_database")
    alive, seconds = await _ping_timed(url.render_as_string(hide_password=False))
    assert alive is False
    assert seconds < 2


@pytest_asyncio.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never answers; yields its port."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_ping_gives_up_on_a_server_that_never_answers(silent_server: int) -> None:
    engine = create_engine(f"postgresql://postgres@127.0.0.1:{silent_server}/x")
    started = time.monotonic()
    try:
        assert await ping(engine, max_seconds=0.5) is False
    finally:
        await engine.dispose()
    assert time.monotonic() - started < 1.5
