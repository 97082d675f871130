"""A throwaway database for one benchmark run: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

__all__ = ["PG_ADMIN", "prepare_database"]

PG_ADMIN = os.environ.get("BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _nothing() -> None:
    return None


async def prepare_database(
    kind: str, tmp: Path, name: str
) -> tuple[str, Callable[[], Awaitable[None]]]:
    """(database URL, coroutine function that drops it): ``kind`` is sqlite or postgresql."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{name}.db'}", _nothing
    database = f"reviewbot_{name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{database}", drop
