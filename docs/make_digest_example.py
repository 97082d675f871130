"""Make the README's digest example: seed a SQLite file, then run ``reviewbot digest --dry-run``.

    python docs/make_digest_example.py [--out docs/digest-chart.png] [--db PATH]

Seeds one Gumado connection with one organization ("Harbor Street Bakery") and about four
months of plausible reviews (fixed random seed, so every run prints the same digest), the way
``tests/digest/test_digest_cli.py`` seeds its database; then runs the real command line

    reviewbot digest --org "Harbor Street Bakery" --week 2026-W47 --timezone Europe/London \
        --dry-run --no-sync --chart docs/digest-chart.png

which prints the digest as Slack would show it and writes the 12-week trend chart. Nothing
reaches Slack or a platform (``--dry-run``, ``--no-sync``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Connection, Organization, Review

ORGANIZATION = "Harbor Street Bakery"
WEEK = "2026-W47"  # Monday Nov 16 – Sunday Nov 22, 2026
TIMEZONE = "Europe/London"
END = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # the Monday after that week
WEEKS = 17
SOURCES = (("Google", 55), ("Tripadvisor", 20), ("Yelp", 15), ("Facebook", 10))
AUTHORS = (
    "Maya Chen",
    "Tom Baker",
    "Priya Nair",
    "Lukas Weber",
    "Sofia Rossi",
    "James O'Connor",
    "Aiko Tanaka",
    "Fatima Khan",
    "Olivia N.",
    "Diego Alvarez",
    "Hannah Muller",
    "Noah Smith",
)
TEXTS = {
    5: (
        "Best sourdough in town, and the staff remember my order.",
        "The cinnamon buns are worth the queue. Lovely people.",
        "Great coffee, warm croissants, friendly team. Perfect Saturday.",
    ),
    4: (
        "Very good pastries; it gets busy at lunchtime.",
        "Tasty sandwiches and fair prices. Seating is a bit tight.",
    ),
    3: (
        "Bread is good but the coffee was lukewarm.",
        "Okay overall. We waited a while for a table.",
    ),
    2: (
        "The cake looked better than it tasted and the service was slow.",
        "Ordered a birthday cake; it was ready an hour late.",
    ),
    1: (
        "Found a hair in my sandwich and nobody apologised.",
        "Rude at the counter and the croissants were stale.",
    ),
}
REPLIES = {
    5: "Thank you so much! See you next Saturday.",
    4: "Thanks for the kind words; we're adding seats in December.",
    3: "Thanks for the feedback; we've recalibrated the espresso machine.",
    2: "We're sorry about the wait. Please ask for Anna next time.",
    1: "This is not the standard we aim for. Please get in touch so we can make it right.",
}


def _weights(weeks_ago: int) -> tuple[int, ...]:
    """Rating weights (1★ … 5★): a rough summer, getting better week by week."""
    trend = min(1.0, max(0.0, (WEEKS - weeks_ago) / WEEKS))
    return (
        round(12 - 8 * trend),
        round(12 - 6 * trend),
        14,
        round(25 + 5 * trend),
        round(37 + 20 * trend),
    )


def _review(rng: random.Random, n: int, connection_id: int, published: datetime) -> dict[str, Any]:
    weeks_ago = int((END - published) / timedelta(weeks=1))
    rating = rng.choices((1, 2, 3, 4, 5), _weights(weeks_ago))[0]
    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    # Older reviews have mostly been answered; the newest low ones are often still waiting.
    replied = rng.random() < (0.75 if weeks_ago else 0.45)
    reply_at = published + timedelta(hours=rng.uniform(2, 40)) if replied else None
    platform_id = f"hsb-{n:04d}"
    return {
        "connection_id": connection_id,
        "platform_id": platform_id,
        "organization_platform_id": "org-harbor",
        "location_platform_id": "loc-1",
        "source": source,
        "rating": rating,
        "author": rng.choice(AUTHORS),
        "title": None,
        "text": rng.choice(TEXTS[rating]),
        "url": f"https://reviews.example.com/{source.lower()}/{platform_id}",
        "reply": REPLIES[rating] if replied else None,
        "reply_at": reply_at,
        "published_at": published,
        "content_hash": hashlib.sha256(platform_id.encode()).hexdigest(),
        "first_seen_at": published,
        "updated_at": reply_at or published,
    }


def reviews(connection_id: int) -> list[dict[str, Any]]:
    """About 150 reviews over the 17 weeks before ``END``, a few more each week."""
    rng = random.Random(20261123)  # noqa: S311 - sample data, not a secret
    rows: list[dict[str, Any]] = []
    for weeks_ago in range(WEEKS):
        count = rng.randint(5, 9) + (WEEKS - weeks_ago) // 4
        start = END - timedelta(weeks=weeks_ago + 1)
        for _ in range(count):
            published = start + timedelta(seconds=rng.uniform(0, 7 * 24 * 3600))
            rows.append(_review(rng, len(rows) + 1, connection_id, published))
    # Two bad reviews of the digest week that nobody has answered yet (the digest lists them).
    for rating, when in ((2, datetime(2026, 11, 20, 17, 5)), (1, datetime(2026, 11, 21, 9, 40))):
        row = _review(rng, len(rows) + 1, connection_id, when.replace(tzinfo=UTC))
        row.update(rating=rating, text=TEXTS[rating][0], reply=None, reply_at=None)
        rows.append(row)
    return rows


async def seed(url: str) -> int:
    """Migrate the database at ``url`` and fill it; returns how many reviews were added."""
    await upgrade(url)
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            connection = Connection(
                team_id="T0DEMO",
                platform="gumado",
                name="gumado",
                # Never decrypted: the digest below runs with --no-sync.
                token_encrypted="gAAAA-not-a-real-token",  # noqa: S106
                webhook_key="example-webhook-key-not-secret",
            )
            session.add(connection)
            await session.flush()
            await session.execute(
                insert(Organization),
                [
                    {
                        "connection_id": connection.id,
                        "platform_id": "org-harbor",
                        "name": ORGANIZATION,
                    }
                ],
            )
            rows = reviews(connection.id)
            await session.execute(insert(Review), rows)
    finally:
        await engine.dispose()
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/digest-chart.png", help="where to write the chart")
    parser.add_argument("--db", help="SQLite file to create (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reviewbot-digest-example-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "example.db"
        if path.exists():
            parser.error(f"{path} exists; name a new file")
        url = f"sqlite:///{path}"
        count = asyncio.run(seed(url))
        print(f"Seeded {count} reviews of {ORGANIZATION} into {path}", file=sys.stderr)
        # The real command line, in this process: `reviewbot digest … --dry-run`.
        os.environ.update(DATABASE_URL=url, LOG_LEVEL="WARNING")
        from bot.__main__ import main as reviewbot

        return reviewbot(
            [
                "digest",
                "--org",
                ORGANIZATION,
                "--week",
                WEEK,
                "--timezone",
                TIMEZONE,
                "--dry-run",
                "--no-sync",
                "--chart",
                args.out,
            ]
        )


if __name__ == "__main__":
    sys.exit(main())
