"""Weekly digest figures for many organizations, on SQLite and PostgreSQL.

    python bench/digest.py [--organizations 1000] [--reviews 200000] [--databases sqlite,postgresql]

For each database: migrate a fresh one, bulk-insert the reviews spread over 16 weeks, then a
child process (so its peak RSS is the computation's alone) computes

1. every organization's weekly figures in one batch (``compute_digest_stats_many``, grouped
   queries) — the target is ≤ 5 s in total and ≤ 300 MB peak RSS;
2. each organization's digest one at a time (``compute_digest_stats`` + ``build_digest``), for
   the per-digest p50/p99;
3. a few trend charts (matplotlib PNG), for the rendering time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from databases import prepare_database
from sqlalchemy import insert, select

from storage.engine import create_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Connection, Organization, Review

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HISTORY = timedelta(weeks=16)
CONNECTIONS = 10
SOURCES = ("Google", "Facebook", "Yelp", "Tripadvisor", "Gumado")
RATINGS = (1, 2, 3, 4, 5)
RATING_WEIGHTS = (6, 6, 10, 28, 50)
CHUNK = 5000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _review(rng: random.Random, n: int, connection_id: int, org: str) -> dict[str, Any]:
    published = NOW - timedelta(seconds=rng.uniform(0, HISTORY.total_seconds()))
    rating = rng.choices(RATINGS, RATING_WEIGHTS)[0]
    replied = rng.random() < 0.45
    return {
        "connection_id": connection_id,
        "platform_id": f"r{n}",
        "organization_platform_id": org,
        "source": rng.choice(SOURCES),
        "rating": rating,
        "author": f"Customer {n}",
        "text": "Lorem ipsum dolor sit amet " * rng.randint(0, 12),
        "url": f"https://reviews.example/r{n}",
        "reply": "Thank you for your review!" if replied else None,
        "published_at": published,
        "content_hash": f"{n:064x}",
        "first_seen_at": published,
        "updated_at": published,
    }


async def seed(database_url: str, organizations: int, reviews: int) -> float:
    """Migrate and fill the database; return the seconds the review inserts took."""
    await upgrade(database_url)
    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    rng = random.Random(47)
    try:
        async with sessions() as session, session.begin():
            for c in range(CONNECTIONS):
                session.add(
                    Connection(
                        team_id="T0BENCH",
                        platform="gumado",
                        name=f"bench-{c}",
                        token_encrypted="not-a-token",  # noqa: S106
                        webhook_key=f"bench-{c}",
                    )
                )
            await session.flush()
            ids = list((await session.scalars(select(Connection.id).order_by(Connection.id))).all())
            orgs = [(ids[i % CONNECTIONS], f"org-{i}") for i in range(organizations)]
            await session.execute(
                insert(Organization),
                [{"connection_id": c, "platform_id": o, "name": f"Shop {o}"} for c, o in orgs],
            )
        started = time.perf_counter()
        for first in range(0, reviews, CHUNK):
            rows = []
            for n in range(first, min(reviews, first + CHUNK)):
                connection_id, org = orgs[rng.randrange(organizations)]
                rows.append(_review(rng, n, connection_id, org))
            async with sessions() as session, session.begin():
                await session.execute(insert(Review), rows)
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def compute(database_url: str) -> dict[str, Any]:
    """The child's work: batch figures, one-at-a-time digests, a few charts."""
    from bot.blocks.digest import build_digest
    from bot.digest.chart import render_trend_png
    from bot.digest.stats import compute_digest_stats, compute_digest_stats_many

    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            rows = (
                await session.execute(select(Organization.connection_id, Organization.platform_id))
            ).all()
        keys = [(int(c), str(o)) for c, o in rows]
        started = time.perf_counter()
        async with sessions() as session:
            many = await compute_digest_stats_many(session, keys, now=NOW)
        batch = time.perf_counter() - started
        batch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        reviews_in_week = sum(s.current.count for s in many.values())
        latencies = []
        started = time.perf_counter()
        for connection_id, org in keys:
            t0 = time.perf_counter()
            async with sessions() as session:
                stats = await compute_digest_stats(
                    session, connection_id=connection_id, organization_platform_id=org, now=NOW
                )
            build_digest(
                stats, organization_name=org, connection_name="bench", week_label="2026-W48"
            )
            latencies.append(time.perf_counter() - t0)
        one_by_one = time.perf_counter() - started
        charts = []
        for stats in list(many.values())[:10]:
            t0 = time.perf_counter()
            render_trend_png(stats.trend)
            charts.append(time.perf_counter() - t0)
    finally:
        await engine.dispose()
    return {
        "organizations": len(keys),
        "reviews_in_week": reviews_in_week,
        "batch_s": batch,
        "one_by_one_s": one_by_one,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "chart_ms": percentile(charts, 0.50) * 1000,
        "batch_rss_mb": batch_rss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        database_url, drop = await prepare_database(kind, Path(tmp), "bench-digest")
        try:
            seconds = await seed(database_url, args.organizations, args.reviews)
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--compute", database_url, stdout=subprocess.PIPE
            )
            out, _ = await child.communicate()
            if child.returncode:
                raise SystemExit(f"the computing process failed with {child.returncode}")
            result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
            result.update(database=kind, seed_s=seconds)
            return result
        finally:
            await drop()


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"\n== {r['database']} ({r['organizations']} organizations, {args.reviews} reviews over "
        f"16 weeks; seeded in {r['seed_s']:.1f} s)"
    )
    ok = "OK" if r["batch_s"] <= 5 and r["peak_rss_mb"] <= 300 else "OVER TARGET"
    print(
        f"all organizations, grouped  {r['batch_s']:6.2f} s total  (target ≤ 5 s)   "
        f"peak RSS {r['batch_rss_mb']:.0f} MB (target ≤ 300 MB)   {ok}"
    )
    print(
        f"one digest at a time        {r['one_by_one_s']:6.2f} s total  "
        f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  (figures + blocks)"
    )
    print(
        f"trend chart PNG             {r['chart_ms']:6.1f} ms median   "
        f"peak RSS with matplotlib {r['peak_rss_mb']:.0f} MB"
    )
    print(
        f"ratio                       grouped is {r['one_by_one_s'] / r['batch_s']:.1f}× faster "
        "than one digest at a time"
    )
    print(f"reviews in the digest week  {r['reviews_in_week']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--organizations", type=int, default=1000)
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--compute", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compute:
        print(json.dumps(await compute(args.compute)))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for kind in args.databases.split(","):
        report(await bench_database(kind.strip(), args), args)


if __name__ == "__main__":
    asyncio.run(main())
