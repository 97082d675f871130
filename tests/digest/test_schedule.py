"""Digest triggers: the local hour in any timezone, across DST changes, once per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.digest.schedule import digest_trigger, last_fire_time


def fires(trigger: CronTrigger, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times after ``start``, in UTC."""
    found: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        moment = trigger.get_next_fire_time(previous, now)
        assert moment is not None
        found.append(moment.astimezone(UTC))
        previous, now = moment, moment + timedelta(microseconds=1)
    return found


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_nine_in_berlin_follows_the_october_change() -> None:
    # CEST (UTC+2) until Sunday 25 October 2026, then CET (UTC+1).
    trigger = digest_trigger(0, 9, "Europe/Berlin")
    assert fires(trigger, utc(2026, 10, 13), 3) == [
        utc(2026, 10, 19, 7),
        utc(2026, 10, 26, 8),
        utc(2026, 11, 2, 8),
    ]


def test_monday_nine_in_new_york_follows_the_november_change() -> None:
    # EDT (UTC−4) until Sunday 1 November 2026, then EST (UTC−5).
    trigger = digest_trigger(0, 9, "America/New_York")
    assert fires(trigger, utc(2026, 10, 20), 3) == [
        utc(2026, 10, 26, 13),
        utc(2026, 11, 2, 14),
        utc(2026, 11, 9, 14),
    ]


def test_two_timezones_get_their_own_local_hour() -> None:
    tokyo = fires(digest_trigger(4, 17, "Asia/Tokyo"), utc(2026, 11, 23), 1)
    sydney = fires(digest_trigger(4, 17, "Australia/Sydney"), utc(2026, 11, 23), 1)
    assert tokyo == [utc(2026, 11, 27, 8)]  # Friday 17:00 JST
    assert sydney == [utc(2026, 11, 27, 6)]  # Friday 17:00 AEDT (UTC+11)


def test_an_hour_that_happens_twice_fires_once() -> None:
    # 01:00 on 1 November 2026 happens twice in New York; plain CronTrigger fires at both.
    plain = CronTrigger(day_of_week="sun", hour=1, minute=0, timezone="America/New_York")
    assert fires(plain, utc(2026, 10, 26), 2) == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 6)]
    ours = digest_trigger(6, 1, "America/New_York")
    assert fires(ours, utc(2026, 10, 26), 2) == [utc(2026, 11, 1, 5), utc(2026, 11, 8, 6)]


def test_an_hour_that_does_not_exist_fires_once_when_the_clock_jumps() -> None:
    # 02:00 on 29 March 2026 does not exist in Berlin (02:00 CET → 03:00 CEST at 01:00 UTC).
    trigger = digest_trigger(6, 2, "Europe/Berlin")
    assert fires(trigger, utc(2026, 3, 23), 2) == [utc(2026, 3, 29, 1), utc(2026, 4, 5, 0)]


def test_last_fire_time_is_the_latest_at_or_before_now() -> None:
    trigger = digest_trigger(0, 9, "America/New_York")
    monday = utc(2026, 11, 30, 14)
    assert last_fire_time(trigger, monday) == monday
    assert last_fire_time(trigger, monday - timedelta(seconds=1)) == utc(2026, 11, 23, 14)
    assert last_fire_time(trigger, monday + timedelta(days=6)) == monday


def test_an_unknown_timezone_falls_back_to_utc() -> None:
    assert fires(digest_trigger(0, 9, "Mars/Olympus"), utc(2026, 11, 23, 10), 1) == [
        utc(2026, 11, 30, 9)
    ]
