"""The Alembic migrations: they run on both databases and match the models exactly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine
from storage.errors import MigrationError
from storage.migrate import MIGRATIONS_DIR, migrations_config, upgrade
from storage.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
# slack_sdk's installation and OAuth state tables (migration 0002) are not models of ours.
SLACK_SDK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}
OUR_TABLES = set(Base.metadata.tables) | SLACK_SDK_TABLES


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(migrations_config(url)).get_current_head()


async def _current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


def test_migrations_config_is_built_in_code() -> None:
    cfg = migrations_config("postgres://bot:p%40ss@db/reviews")
    assert cfg.config_file_name is None
    assert cfg.get_main_option("script_location") == str(MIGRATIONS_DIR)
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql+asyncpg://bot:p%40ss@db/reviews"
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert not (REPO_ROOT / "alembic.ini").exists()


async def test_migrations_apply_to_an_empty_database(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    await upgrade(empty_database_url)  # at head already: a no-op
    engine = create_engine(empty_database_url)
    try:
        assert await _current_revision(engine) == _head(empty_database_url)
        assert await _table_names(engine) == OUR_TABLES | {"alembic_version"}
    finally:
        await engine.dispose()


def _compare_with_models(conn: SyncConnection) -> list[object]:
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": lambda name, type_, _: type_ != "table" or name not in SLACK_SDK_TABLES,
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_compare_with_models) == []


async def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    cfg = migrations_config(database_url)
    engine = create_engine(database_url, sqlite_foreign_keys=False)
    try:
        async with engine.begin() as conn:

            def downgrade(sync_conn: SyncConnection) -> None:
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, "base")

            await conn.run_sync(downgrade)
        assert await _table_names(engine) == {"alembic_version"}
        await upgrade(database_url)
        assert await _table_names(engine) == OUR_TABLES | {"alembic_version"}
    finally:
        await engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
async def test_replicas_starting_together_migrate_once(empty_database_url: str) -> None:
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(3)))
    engine = create_engine(empty_database_url)
    try:
        assert await _current_revision(engine) == _head(empty_database_url)
    finally:
        await engine.dispose()


async def test_upgrade_of_an_unreachable_database_is_a_startup_error() -> None:
    with pytest.raises(MigrationError, match=r"postgresql://postgres:\*\*\*@127.0.0.1:1/x"):
        await upgrade("postgresql://postgres:hunter2@127.0.0.1:1/x")


async def test_0003_keeps_reviews_and_cards_and_lets_a_review_go_unrated(
    empty_database_url: str,
) -> None:
    cfg = migrations_config(empty_database_url)
    engine = create_engine(empty_database_url, sqlite_foreign_keys=False)

    def migrate(target: str) -> Callable[[SyncConnection], None]:
        def run(sync_conn: SyncConnection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, target)

        return run

    at = {"at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC)}
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate("0002"))
            await conn.execute(
                text(
                    "INSERT INTO connections (id, team_id, platform, name, token_encrypted, "
                    "healthy, created_at, updated_at) VALUES (1, 'T1', 'gumado', 'g', 'x', "
                    "true, :at, :at)"
                ),
                at,
            )
            await conn.execute(
                text(
                    "INSERT INTO reviews (id, connection_id, platform_id, source, rating, "
                    "published_at, content_hash, first_seen_at, updated_at) VALUES "
                    "(1, 1, '142', 'Google', 4, :at, 'h', :at, :at)"
                ),
                at,
            )
            await conn.execute(
                text(
                    "INSERT INTO deliveries (id, team_id, channel_id, review_id, status, "
                    "attempts, mentions, update_pending, created_at) VALUES "
                    "(1, 'T1', 'C1', 1, 'sent', 1, '[]', false, :at)"
                ),
                at,
            )
        await upgrade(empty_database_url)
        async with engine.begin() as conn:
            # The table rebuild (SQLite) kept the review and the card that points at it.
            assert (await conn.execute(text("SELECT rating, hidden FROM reviews"))).all() == [
                (4, None)
            ]
            assert (await conn.execute(text("SELECT review_id FROM deliveries"))).all() == [(1,)]
            skipped = await conn.execute(text("SELECT last_poll_skipped FROM connections"))
            assert skipped.all() == [(0,)]
            await conn.execute(
                text(
                    "INSERT INTO reviews (id, connection_id, platform_id, source, rating, "
                    "published_at, content_hash, first_seen_at, updated_at) VALUES "
                    "(2, 1, '143', 'Google', NULL, :at, 'h', :at, :at)"
                ),
                at,
            )
    finally:
        await engine.dispose()


async def test_0005_leaves_a_card_being_posted_to_be_looked_for(empty_database_url: str) -> None:
    cfg = migrations_config(empty_database_url)
    engine = create_engine(empty_database_url, sqlite_foreign_keys=False)

    def migrate(sync_conn: SyncConnection) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "0004")

    at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate)
            await conn.execute(
                text(
                    "INSERT INTO connections (id, team_id, platform, name, token_encrypted, "
                    "healthy, created_at, updated_at) VALUES (1, 'T1', 'gumado', 'g', 'x', "
                    "true, :at, :at)"
                ),
                {"at": at},
            )
            await conn.execute(
                text(
                    "INSERT INTO reviews (id, connection_id, platform_id, source, rating, "
                    "published_at, content_hash, first_seen_at, updated_at) VALUES "
                    "(1, 1, '142', 'Google', 4, :at, 'h', :at, :at)"
                ),
                {"at": at},
            )
            for delivery_id, channel, status in ((1, "C1", "sending"), (2, "C2", "sent")):
                await conn.execute(
                    text(
                        "INSERT INTO deliveries (id, team_id, channel_id, review_id, status, "
                        "attempts, mentions, update_pending, created_at) VALUES "
                        "(:id, 'T1', :channel, 1, :status, 1, '[]', false, :at)"
                    ),
                    {"id": delivery_id, "channel": channel, "status": status, "at": at},
                )
        await upgrade(empty_database_url)
        async with engine.begin() as conn:
            found = await conn.execute(
                text("SELECT id, unsure_from, unsure_to FROM deliveries ORDER BY id")
            )
            # The card being posted may be in Slack from its creation on; the sent one is known.
            assert found.all() == [(1, at.timestamp() - 60, None), (2, None, None)]
    finally:
        await engine.dispose()
