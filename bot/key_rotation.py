"""``reviewbot rotate-key``: every stored token re-encrypted with the newest ``ENCRYPTION_KEY``.

Rotating: set ``ENCRYPTION_KEY=new,old`` (the app keeps working: the new key encrypts, both
decrypt), run ``reviewbot rotate-key``, then set ``ENCRYPTION_KEY=new`` alone.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.crypto import TokenCipher
from bot.errors import ConfigError
from storage.engine import create_engine
from storage.migrate import upgrade
from storage.repositories.secrets import reencrypt_all

__all__ = ["rotate_encryption_key"]


async def rotate_encryption_key(settings: Settings) -> dict[str, int]:
    """Re-encrypt every stored token with the first key of ``ENCRYPTION_KEY``.

    Returns how many values each table held. ConfigError without a key, or when a stored
    value opens with none of the keys (then nothing is changed).
    """
    if settings.encryption_key is None:
        raise ConfigError(
            "ENCRYPTION_KEY is not set; set the new key followed by the old one: "
            "ENCRYPTION_KEY=new,old"
        )
    cipher = TokenCipher(settings.encryption_key.get_secret_value())
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            return await reencrypt_all(session, cipher.rotate)
    finally:
        await engine.dispose()
