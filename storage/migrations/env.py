"""Alembic environment: runs on the connection ``storage.migrate`` hands over, or its own engine."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def include_name(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Leave tables we do not own (slack_sdk's installation and OAuth state) alone."""
    if type_ == "table":
        return name in target_metadata.tables
    return True


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our UTCDateTime as the plain column type it stores, so migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: Alembic rebuilds the table ("batch") instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
        render_item=render_item,
    )


def run_migrations_on(connection: Connection) -> None:
    """Run the migrations on an open synchronous connection."""
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_with_own_engine(url: str) -> None:
    """Run the migrations on an engine of our own (the ``alembic`` command line)."""
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_migrations_on)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade --sql``)."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
        include_name=include_name,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
elif (connection := config.attributes.get("connection")) is not None:
    run_migrations_on(connection)
else:
    asyncio.run(run_migrations_with_own_engine(str(config.get_main_option("sqlalchemy.url"))))
