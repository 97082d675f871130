"""Shared fixtures: every test that touches storage runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``TEST_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
each test gets a fresh database cloned from a template migrated once per session. When the server
is unreachable the postgresql tests fail, unless ``REVIEWBOT_SKIP_POSTGRES=1`` skips them.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.log import configure_logging
from storage.engine import create_engine, make_sessionmaker, normalize_database_url
from storage.migrate import upgrade

# bench/chaos.py's machinery (replicas, a cuttable database proxy) is driven by the chaos tests
# too, so it stays the only copy. Appended, not prepended: nothing in bench/ shadows a package.
BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SKIP_POSTGRES = os.environ.get("REVIEWBOT_SKIP_POSTGRES") == "1"

DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def pytest_configure(config: pytest.Config) -> None:
    """Tests log through the app's own structlog set-up, as ``reviewbot serve`` does."""
    configure_logging("INFO", json_lines=True)


def postgres_url(database: str) -> str:
    """Return the async URL of ``database`` on the test PostgreSQL server."""
    return normalize_database_url(
        make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)
    )


def _admin_dsn() -> str:
    # CREATE/DROP DATABASE run from the server's maintenance database, never the one dropped.
    url = make_url(POSTGRES_URL).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


async def admin_execute(*statements: str) -> None:
    """Run statements on the test server's ``postgres`` database with asyncpg."""
    admin = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_server() -> str:
    """Check once that the test PostgreSQL server answers; fail (or skip) clearly if not."""
    try:
        await admin_execute("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        return POSTGRES_URL
    where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
    message = (
        f"PostgreSQL at {where} (TEST_DATABASE_URL) is unreachable: {problem}. Start it, "
        "point TEST_DATABASE_URL at a server, or set REVIEWBOT_SKIP_POSTGRES=1 to skip them."
    )
    if SKIP_POSTGRES:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_template(postgres_server: str) -> AsyncIterator[str]:
    """Create and migrate the session's template database; yield its name."""
    name = f"reviewbot_tpl_{os.getpid()}"
    await admin_execute(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    try:
        await upgrade(postgres_url(name))
        yield name
    finally:
        await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite file per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    await upgrade(f"sqlite:///{path}")
    return path


@pytest_asyncio.fixture
async def _postgres_database(postgres_template: str) -> AsyncIterator[str]:
    name = f"reviewbot_t_{uuid.uuid4().hex[:16]}"
    await admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        yield postgres_url(name)
    finally:
        await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def new_postgres_database(
    postgres_template: str,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Make fresh migrated PostgreSQL databases on demand (URLs); all dropped after the test."""
    names: list[str] = []

    async def make() -> str:
        name = f"reviewbot_t_{uuid.uuid4().hex[:16]}"
        await admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
        names.append(name)
        return postgres_url(name)

    try:
        yield make
    finally:
        for name in names:
            await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest_asyncio.fixture
async def _empty_postgres_database(postgres_server: str) -> AsyncIterator[str]:
    name = f"reviewbot_e_{uuid.uuid4().hex[:16]}"
    await admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        await admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database of this test's own, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "reviewbot.db"
        shutil.copyfile(template, path)
        yield normalize_database_url(f"sqlite:///{path}")
    else:
        yield request.getfixturevalue("_postgres_database")


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database (no tables); the SQLite file's directory does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'not-yet' / 'reviewbot.db'}"
    url: str = request.getfixturevalue("_empty_postgres_database")
    return url


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """Async engine on ``database_url``, disposed after the test."""
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The app's session factory on ``engine``."""
    return make_sessionmaker(engine)


@pytest_asyncio.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session for the test; nothing is committed unless the test commits."""
    async with session_factory() as session:
        yield session
