"""Keeping posted cards current: ``chat.update`` in place, plus one thread note per change.

The edit is idempotent (the card is rebuilt from the current review). The note carries a key
(the note and the review state it describes) in its message metadata. When an earlier note
post's outcome is unknown (it timed out, or its process died holding the lease: the row's
``unsure_from``/``_to`` say when), the card's thread is searched for that key first, within
the install's history tier, so a crash between the post and clearing the flag does not post it
twice; otherwise the note is posted without reading the thread. The flag is cleared only if nothing changed meanwhile (note, handler
or review); otherwise the next pass redoes the update with the newer state.

A reply deadline that passed unanswered (``remind_state`` queued by ``bot/pipeline/deadlines.py``)
is posted the same way, in a pass of its own (one thread post per pass, so the row's window
says which post may be in doubt): the card is edited to "Overdue" and one reminder, keyed
``reminder-<delivery id>`` in its metadata, goes into the thread, unless the review was
answered or the card handled meanwhile. Its state is written under the lease. A card being
updated is leased like a delivery being posted (owner and expiry in its row), and the writes
after the Slack calls check the owner.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.card_update import EVENT_TYPE_UPDATE_NOTE, build_update_reply
from bot.blocks.reminder import EVENT_TYPE_REMINDER, build_reminder, reminder_key
from bot.deps import Deps
from bot.domain import is_answered
from bot.log import get_logger
from bot.pipeline import history
from bot.pipeline.claims import ClaimRegistry
from bot.pipeline.history import Unsure, look_for_posts, unanswered_window
from bot.pipeline.pacing import ChannelPace
from bot.pipeline.posting import Posting
from bot.pipeline.records import CardNames, card_for_delivery
from bot.pipeline.slack_calls import (
    Permanent,
    SlackRateLimited,
    Transient,
    Unanswered,
    post_message,
    slack_call,
)
from bot.pipeline.write_gate import WriteGate
from storage.models import Delivery
from storage.models import Review as ReviewRow
from storage.repositories.card_updates import (
    defer_update,
    drop_update,
    due_updates,
    finish_update,
    take_update,
)
from storage.repositories.leases import Window
from storage.repositories.reminders import QUEUED, settle_reminder

__all__ = ["note_key", "update_due_cards"]

log = get_logger(__name__)

UPDATE_LIMIT = 20
RETRY_SECONDS = 10.0


def note_key(note: str, review_hash: str) -> str:
    """Identifies one update note of one card: the change and the state it led to."""
    return hashlib.sha256(f"{note}\n{review_hash}".encode()).hexdigest()[:24]


async def update_due_cards(
    deps: Deps, gate: WriteGate, claims: ClaimRegistry, posting: Posting
) -> int:
    """Apply due card updates; returns how many were attempted (one error skips one card)."""
    async with deps.sessions() as session:
        rows = await due_updates(session, now=deps.clock(), limit=UPDATE_LIMIT)
    blocked = posting.pacer.blocked_channels()
    attempted = 0
    for delivery in rows:
        if delivery.channel_id in blocked:
            continue
        try:
            if not await _take(deps, gate, claims, posting, delivery):
                continue
            attempted += 1
            await _update_card(deps, gate, claims, posting, delivery)
        except Exception:
            # Its lease (if taken) lapses and the update is retried then.
            log.exception("card_update_error", delivery_id=delivery.id)
        finally:
            claims.release(delivery.id)
    return attempted


async def _take(
    deps: Deps, gate: WriteGate, claims: ClaimRegistry, posting: Posting, delivery: Delivery
) -> bool:
    since = time.monotonic()
    async with gate.hold(), deps.sessions() as session, session.begin():
        taken = await take_update(
            session,
            delivery_id=delivery.id,
            owner=claims.owner,
            now=deps.clock(),
            until=posting.lease_until(),
            started=posting.unsure_since(),
        )
    if taken:
        claims.hold([delivery.id], since=since)
    return taken


@dataclass
class _Thread:
    """Where an earlier attempt's note may be in the card's thread, as the update goes on."""

    unsure: Window | None


async def _update_card(
    deps: Deps, gate: WriteGate, claims: ClaimRegistry, posting: Posting, delivery: Delivery
) -> None:
    owner = claims.owner
    metrics = deps.metrics
    try:
        client = posting.client_for(delivery.team_id)
    except LookupError:
        await _drop(
            deps, gate, posting, owner, delivery, "the app is not installed in this workspace"
        )
        return
    async with deps.sessions() as session:
        built = await card_for_delivery(session, CardNames(session), delivery)
    if built is None or delivery.message_ts is None:
        await _drop(deps, gate, posting, owner, delivery, "the card or its review is gone")
        return
    payload, review = built
    note = delivery.update_note
    # One thread post per pass: a reminder waits for the pass after a note.
    remind = delivery.remind_state == QUEUED and not note
    channel, ts = delivery.channel_id, delivery.message_ts
    pace = posting.pacer.of(delivery.team_id, channel)
    # Where an earlier attempt's note may be in the thread (as the row said when taken).
    thread = _Thread(None)
    if delivery.unsure_from is not None:
        thread.unsure = (delivery.unsure_from, delivery.unsure_to)
    try:
        await slack_call(
            "chat.update",
            lambda: client.chat_update(
                channel=channel,
                ts=ts,
                text=payload["text"],
                blocks=payload["blocks"],
                metadata=payload.get("metadata"),
            ),
            metrics,
        )
        metrics.card_updates.labels("updated").inc()
        if note:
            key = note_key(note, review.content_hash)
            args = (deps, gate, claims, posting, delivery)
            if not await _post_note(*args, client, pace, ts, note, key, thread):
                return
        elif remind:
            args = (deps, gate, claims, posting, delivery)
            if not await _post_reminder(*args, client, pace, review, thread):
                return
    except SlackRateLimited as exc:
        pace.block(exc.retry_after)
        await _defer(
            deps, gate, posting, owner, delivery, exc.retry_after, exc.reason, unsure=thread.unsure
        )
        return
    except Transient as exc:
        # After no answer, the thread is read once the note could have landed.
        wait = history.LANDING_SECONDS if isinstance(exc, Unanswered) else RETRY_SECONDS
        await _defer(deps, gate, posting, owner, delivery, wait, exc.reason, unsure=thread.unsure)
        return
    except Permanent as exc:
        await _drop(deps, gate, posting, owner, delivery, f"card update failed: {exc.reason}")
        return
    await _finish(deps, gate, posting, owner, delivery, note, review.content_hash)


@dataclass(frozen=True)
class _ThreadPost:
    """A message posted at most once in a card's thread, found again by its metadata key."""

    what: str
    """``update`` or ``reminder`` (for the logs)."""
    key: str
    event_type: str
    key_field: str
    payload: Callable[[], dict[str, Any]]


async def _post_once(
    deps: Deps,
    gate: WriteGate,
    claims: ClaimRegistry,
    posting: Posting,
    delivery: Delivery,
    client: AsyncWebClient,
    pace: ChannelPace,
    ts: str,
    post: _ThreadPost,
    thread: _Thread,
) -> Literal["posted", "found"] | None:
    """Post ``post`` in the card's thread unless an earlier attempt did; None when this pass
    stops here.

    When an earlier attempt's post may be in the thread (``thread.unsure``), the thread is read
    first. ``thread.unsure`` follows along, for the caller's retry after a Slack error.
    """
    channel, metrics = delivery.channel_id, deps.metrics
    if thread.unsure is not None:
        looked = await look_for_posts(
            client,
            team_id=delivery.team_id,
            channel=channel,
            thread_ts=ts,
            unsure=[Unsure(post.key, *thread.unsure)],
            event_type=post.event_type,
            key_field=post.key_field,
            budget=posting.history,
            metrics=metrics,
            now=posting.wall,
        )
        if post.key in looked.unsettled:
            left = looked.unsettled[post.key]
            wait, reason = looked.retry_after, "waiting to read the card's thread"
            window = (left.start, left.end)
            await _defer(deps, gate, posting, claims.owner, delivery, wait, reason, unsure=window)
            return None
        thread.unsure = None
        if post.key in looked.found:
            return "found"
    if not claims.safe_to_call(delivery.id):
        log.warning(f"card_{post.what}_lease_unsure", delivery_id=delivery.id)
        return None  # the lease lapses; whoever takes the card looks for the post first
    pace.take()
    started = posting.unsure_since()
    try:
        await post_message(client, channel, {**post.payload(), "thread_ts": ts}, metrics)
    except Unanswered:
        thread.unsure = unanswered_window(started, posting.wall())
        raise
    return "posted"


async def _post_note(
    deps: Deps,
    gate: WriteGate,
    claims: ClaimRegistry,
    posting: Posting,
    delivery: Delivery,
    client: AsyncWebClient,
    pace: ChannelPace,
    ts: str,
    note: str,
    key: str,
    thread: _Thread,
) -> bool:
    """Post the update's thread note once; False when this pass stops here."""
    post = _ThreadPost(
        "update",
        key,
        EVENT_TYPE_UPDATE_NOTE,
        "note_key",
        lambda: build_update_reply(note, delivery_id=delivery.id, note_key=key),
    )
    args = (deps, gate, claims, posting, delivery, client, pace, ts, post, thread)
    outcome = await _post_once(*args)
    if outcome == "posted":
        deps.metrics.card_updates.labels("noted").inc()
    return outcome is not None


async def _handled_by(deps: Deps, delivery_id: int) -> str | None:
    """Who handled the card, as the database says now (a click may have come meanwhile)."""
    async with deps.sessions() as session:
        row = await session.get(Delivery, delivery_id, populate_existing=True)
    return row.handled_by if row is not None else None


async def _post_reminder(
    deps: Deps,
    gate: WriteGate,
    claims: ClaimRegistry,
    posting: Posting,
    delivery: Delivery,
    client: AsyncWebClient,
    pace: ChannelPace,
    review: ReviewRow,
    thread: _Thread,
) -> bool:
    """Post the card's one reminder (or skip it: answered or handled); False when this pass
    stops here."""
    ts = delivery.message_ts
    assert ts is not None
    if is_answered(review.replied, review.reply) or await _handled_by(deps, delivery.id):
        return await _settle_reminder(deps, gate, posting, claims.owner, delivery, "skipped")
    post = _ThreadPost(
        "reminder",
        reminder_key(delivery.id),
        EVENT_TYPE_REMINDER,
        "reminder_key",
        lambda: build_reminder(
            delivery_id=delivery.id,
            rating=review.rating,
            source=review.source,
            unanswered_minutes=(deps.clock() - review.published_at).total_seconds() / 60,
            mentions=delivery.mentions or (),
            reply_url=review.reply_url,
            review_url=review.url,
        ),
    )
    args = (deps, gate, claims, posting, delivery, client, pace, ts, post, thread)
    if await _post_once(*args) is None:
        return False
    return await _settle_reminder(deps, gate, posting, claims.owner, delivery, "sent")


async def _settle_reminder(
    deps: Deps,
    gate: WriteGate,
    posting: Posting,
    owner: str,
    delivery: Delivery,
    state: Literal["sent", "skipped"],
) -> bool:
    """Record the reminder's outcome under the lease; False (stop) if the lease was lost."""
    async with gate.hold(), deps.sessions() as session, session.begin():
        done = await settle_reminder(session, delivery_id=delivery.id, owner=owner, state=state)
    if not done:
        posting.lease_lost(delivery.id, "reminder")
        return False
    deps.metrics.reminders.labels(state).inc()
    log.info("card_reminder", delivery_id=delivery.id, outcome=state)
    return True


async def _finish(
    deps: Deps,
    gate: WriteGate,
    posting: Posting,
    owner: str,
    delivery: Delivery,
    note: str | None,
    review_hash: str,
) -> None:
    """Clear the update unless something changed meanwhile (the next pass then redoes it)."""
    async with gate.hold(), deps.sessions() as session, session.begin():
        cleared = await finish_update(
            session,
            delivery_id=delivery.id,
            owner=owner,
            seen_note=note,
            seen_handled_by=delivery.handled_by,
            review_hash=review_hash,
        )
    if not cleared:
        posting.wake.set()  # changed while we edited: the next pass shows the newer state


async def _defer(
    deps: Deps,
    gate: WriteGate,
    posting: Posting,
    owner: str,
    delivery: Delivery,
    seconds: float,
    reason: str,
    *,
    unsure: Window | None,
) -> None:
    at = deps.clock() + timedelta(seconds=seconds)
    async with gate.hold(), deps.sessions() as session, session.begin():
        done = await defer_update(
            session, delivery_id=delivery.id, owner=owner, at=at, error=reason, unsure=unsure
        )
    if not done:
        posting.lease_lost(delivery.id, "update_deferred")
        return
    deps.metrics.card_updates.labels("retried").inc()


async def _drop(
    deps: Deps, gate: WriteGate, posting: Posting, owner: str, delivery: Delivery, reason: str
) -> None:
    async with gate.hold(), deps.sessions() as session, session.begin():
        done = await drop_update(session, delivery_id=delivery.id, owner=owner, error=reason)
    if not done:
        posting.lease_lost(delivery.id, "update_dropped")
        return
    deps.metrics.card_updates.labels("dropped").inc()
    log.warning("card_update_dropped", delivery_id=delivery.id, reason=reason)
