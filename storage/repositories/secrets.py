"""Every encrypted value the database holds, re-encrypted in place (``reviewbot rotate-key``)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["ENCRYPTED_COLUMNS", "reencrypt_all"]

# table → its primary key and the columns that hold Fernet ciphertext.
ENCRYPTED_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "connections": ("id", ("token_encrypted",)),
    "slack_installations": (
        "id",
        ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    ),
    "slack_bots": ("id", ("bot_token", "bot_refresh_token")),
}


async def reencrypt_all(session: AsyncSession, rotate: Callable[[str], str]) -> dict[str, int]:
    """Apply ``rotate`` to every stored ciphertext; returns how many values each table had.

    Runs in the caller's transaction: one value no key opens raises and nothing is changed.
    """
    counts: dict[str, int] = {}
    for name, (key, columns) in ENCRYPTED_COLUMNS.items():
        table = sa.table(name, sa.column(key), *(sa.column(c) for c in columns))
        rows = (await session.execute(sa.select(table))).all()
        changed = 0
        for row in rows:
            values = {c: rotate(v) for c in columns if (v := getattr(row, c))}
            if values:
                await session.execute(
                    sa.update(table).where(table.c[key] == getattr(row, key)).values(values)
                )
                changed += len(values)
        counts[name] = changed
    return counts
