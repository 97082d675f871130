"""``reviewbot digest --org … [--week 2026-W47] [--dry-run]``: one organization's digest of one
ISO week, printed as Slack would show it (dry run) or posted.

The week is the ISO week itself: Monday 00:00 to the next Monday 00:00 in ``--timezone``
(default: the timezone of a subscription covering the organization, else UTC). Posting goes to
``--channel``, or to every channel whose subscriptions cover the organization; like
``/reviews digest now`` it is outside the weekly record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.blocks.preview import render_message
from bot.deps import Deps
from bot.digest.schedule import zone_of
from bot.digest.targets import DigestTarget, organizations_of_team, subscription_targets
from bot.errors import ConfigError
from bot.pipeline.slack_calls import SlackFailure
from storage.models import Connection, Subscription

__all__ = ["DigestOptions", "parse_week", "run_digest_command"]

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class DigestOptions:
    """The command line of ``reviewbot digest``."""

    organization: str
    week: str | None = None
    dry_run: bool = False
    channel: str | None = None
    timezone: str | None = None
    chart: Path | None = None
    sync: bool = True


def parse_week(text: str) -> date:
    """The Monday of ISO week ``2026-W47`` (ConfigError with an example when it is not one)."""
    match = _WEEK.match(text.strip())
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    raise ConfigError(f"--week {text!r} is not an ISO week such as 2026-W47")


def _last_full_week(now: datetime, zone: tzinfo) -> date:
    today = now.astimezone(zone).date()
    return today - timedelta(days=today.weekday() + 7)


async def _find(deps: Deps, query: str) -> tuple[list[DigestTarget], list[Subscription]]:
    """Every organization called ``query`` (any team), and the subscriptions covering each."""
    async with deps.sessions() as session:
        teams = sorted(set((await session.scalars(select(Connection.team_id))).all()))
        found: list[DigestTarget] = []
        for team_id in teams:
            found += await organizations_of_team(
                session, team_id=team_id, channel_id="", query=query
            )
        wanted = {t.organization_key for t in found}
        covering: list[Subscription] = []
        for subscription in (await session.scalars(select(Subscription))).all():
            targets = await subscription_targets(session, subscription)
            if any(t.organization_key in wanted for t in targets):
                covering.append(subscription)
    return found, covering


async def run_digest_command(deps: Deps, options: DigestOptions, out: TextIO) -> int:
    """Render or post the digest; returns the exit status (messages on ``out``)."""
    found, covering = await _find(deps, options.organization)
    if not found:
        print(f"reviewbot digest: no organization called {options.organization!r}", file=out)
        return 2
    if len({t.organization_key for t in found}) > 1:
        names = ", ".join(
            f"{t.organization_name} (id {t.organization_platform_id}, {t.connection_name})"
            for t in found
        )
        print(f"reviewbot digest: {options.organization!r} is ambiguous: {names}", file=out)
        return 2
    target = found[0]
    zone: tzinfo = (
        zone_of(options.timezone)
        if options.timezone
        else zone_of(covering[0].digest_timezone)
        if covering
        else ZoneInfo("UTC")
    )
    monday = parse_week(options.week) if options.week else _last_full_week(deps.clock(), zone)
    end = datetime.combine(monday + timedelta(days=7), time(), zone)
    iso_year, iso_week, _ = monday.isocalendar()
    service = deps.digests
    assert service is not None, "create_deps builds the digest service"
    synced = True
    if options.sync:
        synced = bool(await service.sync([target]))
    rendered = await service.render(target, now=end, zone=zone, synced=synced)
    print(f"Digest of {target.organization_name}, {iso_year}-W{iso_week:02d}", file=out)
    if options.chart is not None and rendered.chart is not None:
        options.chart.write_bytes(rendered.chart)
        print(f"12-week chart written to {options.chart}", file=out)
    if options.dry_run:
        print("", file=out)
        print(render_message(rendered.payload), file=out)
        return 0
    channels = (
        [options.channel]
        if options.channel
        else sorted({s.channel_id for s in covering if s.team_id == target.team_id})
    )
    if not channels:
        print(
            "reviewbot digest: no channel's subscriptions cover this organization; "
            "name one with --channel",
            file=out,
        )
        return 2
    status = 0
    for channel in channels:
        try:
            ts = await service.post(replace(rendered, target=replace(target, channel_id=channel)))
        except (SlackFailure, LookupError) as exc:
            print(f"reviewbot digest: not posted in {channel}: {exc}", file=out)
            status = 1
            continue
        print(f"Posted in {channel} (ts {ts})", file=out)
    return status
