"""The baseline for bench/intake.py: the strongest simple durable webhook handler.

A bare aiohttp handler that parses the body and does one INSERT + COMMIT per request into
the same ``inbound_events`` table (same columns, a dedupe key of the same shape, the same
JSON payload), and
answers 200 only once the row is committed. No validation, no key lookup, no writer task.

- SQLite: stdlib ``sqlite3``, one connection in WAL mode with ``synchronous=NORMAL`` (our
  engine's pragmas), called straight from the event loop: a commit in WAL mode with NORMAL
  is a write to the WAL without an fsync, so blocking the loop for it is the fastest way.
- PostgreSQL: an ``asyncpg`` pool, one INSERT per request (autocommit: one transaction each).

Run as ``python bench/bare_intake.py DATABASE_URL PORT CONNECTION_ID``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

_COLUMNS = "connection_id, event_type, dedupe_key, payload, status, attempts, received_at"


def _row(body: bytes, connection_id: int) -> tuple[int, str, str, str, str, int, datetime]:
    payload = json.loads(body)
    digest = hashlib.sha256(body).hexdigest()[:40]
    event = str(payload.get("webhook_event"))
    return (
        connection_id,
        event,
        f"{event}:{payload.get('id')}:{digest}",
        json.dumps(payload),
        "done",  # so that the router, which shares the table, leaves the row alone
        0,
        datetime.now(UTC),
    )


def sqlite_app(path: str, connection_id: int) -> web.Application:
    """POST /webhooks/gumado/{key} → INSERT + COMMIT (sqlite3, WAL, NORMAL) → 200."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    sql = f"INSERT INTO inbound_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608

    async def handle(request: web.Request) -> web.Response:
        row = list(_row(await request.read(), connection_id))
        row[6] = row[6].replace(tzinfo=None).isoformat(" ")  # SQLAlchemy's SQLite format
        db.execute("BEGIN IMMEDIATE")
        db.execute(sql, row)
        db.execute("COMMIT")
        return web.json_response({"ok": True, "message": "accepted"})

    async def close(_: web.Application) -> None:
        db.close()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/webhooks/gumado/{key}", handle)
    app.on_cleanup.append(close)
    return app


def postgresql_app(dsn: str, connection_id: int) -> web.Application:
    """POST /webhooks/gumado/{key} → one INSERT on an asyncpg pool (autocommit) → 200."""
    pool_key = web.AppKey("pool", asyncpg.Pool)
    sql = f"INSERT INTO inbound_events ({_COLUMNS}) VALUES ($1, $2, $3, $4::json, $5, $6, $7)"  # noqa: S608

    async def handle(request: web.Request) -> web.Response:
        row = _row(await request.read(), connection_id)
        await request.app[pool_key].execute(sql, *row)
        return web.json_response({"ok": True, "message": "accepted"})

    async def open_pool(app: web.Application) -> None:
        app[pool_key] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)

    async def close_pool(app: web.Application) -> None:
        await app[pool_key].close()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/webhooks/gumado/{key}", handle)
    app.on_startup.append(open_pool)
    app.on_cleanup.append(close_pool)
    return app


def make_app(database_url: str, connection_id: int) -> web.Application:
    if database_url.startswith("sqlite"):
        return sqlite_app(database_url.split(":///", 1)[1], connection_id)
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return postgresql_app(dsn, connection_id)


if __name__ == "__main__":
    url, port, connection = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    web.run_app(make_app(url, connection), host="127.0.0.1", port=port, access_log=None, print=None)
