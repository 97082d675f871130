"""The baseline for bench/intake.py: a bare aiohttp handler doing one INSERT per request.

Same table, same row, same database as the real intake, but no validation, no dedupe lookup,
no writer task: one connection from SQLAlchemy's pool, one INSERT, one COMMIT per request.
Run as ``python bench/bare_intake.py DATABASE_URL PORT``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import insert

from storage.engine import create_engine
from storage.models import InboundEvent


def make_app(database_url: str, connection_id: int) -> web.Application:
    """The baseline application: POST /webhooks/gumado/{key} → INSERT → 200."""
    engine = create_engine(database_url)

    async def handle(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        async with engine.begin() as conn:
            await conn.execute(
                insert(InboundEvent).values(
                    connection_id=connection_id,
                    event_type=str(payload.get("webhook_event")),
                    dedupe_key=f"bare:{payload.get('id')}:{payload.get('updated_at')}",
                    payload=payload,
                    status="done",
                    attempts=0,
                    received_at=datetime.now(UTC),
                )
            )
        return web.Response(text="ok")

    async def close(_: web.Application) -> None:
        await engine.dispose()

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/webhooks/gumado/{key}", handle)
    app.on_cleanup.append(close)
    return app


if __name__ == "__main__":
    url, port, connection = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    web.run_app(make_app(url, connection), host="127.0.0.1", port=port, access_log=None, print=None)
