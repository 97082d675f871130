"""Rotating ENCRYPTION_KEY: "new,old" keeps every stored token readable, and
``reviewbot rotate-key`` re-encrypts them all with the new key so the old one can go."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.config import EXPECTED
from bot.crypto import TokenCipher
from bot.errors import ConfigError
from harness import running_service
from storage.engine import create_engine, make_sessionmaker
from storage.models import Connection


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old).encrypt("42|token")
    both = TokenCipher(f"{new}, {old}")
    assert both.decrypt(stored) == "42|token"
    assert TokenCipher(new).decrypt(both.encrypt("t")) == "t"
    assert TokenCipher(new).decrypt(both.rotate(stored)) == "42|token"
    with pytest.raises(ConfigError) as refused:
        TokenCipher(new).rotate(stored)
    assert "ENCRYPTION_KEY=new,old" in str(refused.value)
    assert old not in str(refused.value) and new not in str(refused.value)


async def _stored_tokens(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(Connection).order_by(Connection.id))).all()
            return [row.token_encrypted for row in rows]
    finally:
        await engine.dispose()


def _rotate_key(database_url: str, key: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in EXPECTED}
    env.update(DATABASE_URL=database_url, ENCRYPTION_KEY=key)
    return subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_rotate_key_re_encrypts_every_token_and_the_app_starts_on_the_new_key(
    database_url: str, tmp_path: Path
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    async with running_service(database_url, env={"ENCRYPTION_KEY": old}) as service:
        tokens = {
            service.sandboxes.gumado.tokens["full"],
            service.sandboxes.cloutly.tokens["api_key"],
        }
    before = await _stored_tokens(database_url)
    assert len(before) == 2

    # Only the new key: nothing opens the stored tokens, nothing is changed.
    refused = await asyncio.to_thread(_rotate_key, database_url, new, tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert "ENCRYPTION_KEY=new,old" in refused.stderr and "Traceback" not in refused.stderr
    assert await _stored_tokens(database_url) == before

    rotated = await asyncio.to_thread(_rotate_key, database_url, f"{new},{old}", tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 2 stored token(s) (2 in connections)" in rotated.stdout
    for secret in (old, new, *tokens):
        assert secret not in rotated.stdout + rotated.stderr
    after = await _stored_tokens(database_url)
    assert {TokenCipher(new).decrypt(value) for value in after} == tokens

    async with running_service(database_url, env={"ENCRYPTION_KEY": new}) as service:
        async with service.deps.sessions() as session:
            rows = (await session.scalars(select(Connection))).all()
        assert sorted(row.healthy for row in rows) == [True, True]
