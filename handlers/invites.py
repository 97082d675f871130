"""Review invites: ``/reviews invite``, the card button, the shortcut, Home's button, the modal.

Each opens the invite modal; its listeners redraw it, answer its typeahead and send the invite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.invite_messages import build_invite_confirmation, receipt_lines
from bot.blocks.invite_modal import (
    build_invite_modal,
    build_invite_notice,
    campaign_option,
    invite_block_errors,
    read_invite_values,
)
from bot.deps import Deps
from bot.log import get_logger
from bot.results import InviteReceipt, InviteValues
from bot.services.actor import Actor
from bot.services.directory import Directory
from bot.services.invite_access import InviteAccess
from bot.services.invite_context import InviteContext, Origin
from bot.services.invite_form import (
    NO_ORGANIZATIONS,
    CampaignCache,
    campaign_options,
    change_organization,
    fill_invite_form,
    form_with_problem,
    start_invite_form,
)
from bot.services.invites import Outcome, check_invite_form, send_invite
from handlers.acks import ack_within
from handlers.actors import actor_of, channel_of, state_values
from handlers.errors import sorry_for_request, spawn_reported
from handlers.ids import (
    ACTION_HOME_INVITE,
    ACTION_INVITE_CAMPAIGN,
    ACTION_INVITE_ORG,
    ACTION_REQUEST_REVIEW,
    BLOCK_INVITE_ORG,
    CALLBACK_INVITE,
    SHORTCUT_REQUEST_REVIEW,
)
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["register"]

log = get_logger(__name__)
JSON = dict[str, Any]

INLINE_SECONDS = 1.8
"""How long a submission waits for the platform so that its ack can close the modal or show
inline errors; past this (Slack allows 3 s) the modal says "Sending…" and is updated later."""


def _team(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


async def _update(client: AsyncWebClient, view_id: str, view_hash: str | None, view: JSON) -> None:
    try:
        await client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response else None
        if error != "hash_conflict":
            raise
        # The person changed the form meanwhile; that change redraws it with fresh data.
        log.info("invite_form_update_skipped", reason=error)


async def open_invite_form(
    deps: Deps,
    access: InviteAccess,
    cache: CampaignCache,
    actor: Actor,
    client: AsyncWebClient,
    trigger_id: str,
    origin: Origin,
    prefill: tuple[str | None, str | None] = (None, None),
) -> None:
    """Open the modal with what is cached, then fill it from the platform (or refuse)."""
    opening = await start_invite_form(deps, actor, origin, prefill)
    if opening.selected is None:
        await client.views_open(trigger_id=trigger_id, view=build_invite_notice(NO_ORGANIZATIONS))
        return
    loading = build_invite_modal(opening.loading())
    opened = await client.views_open(trigger_id=trigger_id, view=loading)
    view_id, view_hash = str(opened["view"]["id"]), opened["view"].get("hash")
    filled = await fill_invite_form(deps, access, cache, actor, opening)
    if isinstance(filled, str):
        await _update(client, view_id, view_hash, build_invite_notice(filled))
    else:
        await _update(client, view_id, view_hash, build_invite_modal(filled))


@subcommand("invite", "ask a customer for a review (opens a form)", "/reviews invite")
async def invite_command(request: SlashRequest) -> None:
    """``/reviews invite``: the modal (after the ack; the trigger id lives 3 s).

    A fresh InviteAccess and CampaignCache, as the command always had.
    """
    await open_invite_form(
        request.deps,
        InviteAccess(),
        CampaignCache(),
        request.actor,
        request.client,
        request.trigger_id,
        "command",
    )


async def request_review_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    deps: Deps,
    directory: Directory,
    invite_access: InviteAccess,
    campaign_cache: CampaignCache,
) -> None:
    """The card's *Request a review…*: the modal, with the card's organization chosen."""
    await ack()
    try:
        card = json.loads(str(action.get("value") or "{}"))
    except json.JSONDecodeError:
        card = {}
    card = card if isinstance(card, dict) else {}
    organization = card.get("organization_id")
    platform = card.get("platform")
    prefill = (
        str(platform) if isinstance(platform, str) else None,
        str(organization) if organization is not None else None,
    )
    actor = actor_of(body, client, directory, team_id=_team(body), channel_id=channel_of(body))
    trigger_id = str(body.get("trigger_id") or "")
    work = open_invite_form(
        deps, invite_access, campaign_cache, actor, client, trigger_id, "card", prefill
    )
    spawn_reported(deps, work, respond=respond, name="invite_from_card")


async def request_review_shortcut(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
    invite_access: InviteAccess,
    campaign_cache: CampaignCache,
) -> None:
    """The global shortcut *Request a review*: the modal; the confirmation comes as a DM."""
    await ack()
    actor = actor_of(body, client, directory, team_id=_team(body))
    trigger_id = str(body.get("trigger_id") or "")
    work = open_invite_form(
        deps, invite_access, campaign_cache, actor, client, trigger_id, "shortcut"
    )
    # Global shortcuts carry no response_url: a failure is logged only.
    spawn_reported(deps, work, respond=None, name="invite_from_shortcut")


async def _redraw(
    deps: Deps,
    cache: CampaignCache,
    client: AsyncWebClient,
    team_id: str,
    view: JSON,
    values: InviteValues,
) -> None:
    form = await change_organization(
        deps, cache, team_id=team_id, private_metadata=view.get("private_metadata"), values=values
    )
    if form is not None:
        await _update(client, str(view["id"]), view.get("hash"), build_invite_modal(form))


async def organization_changed(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    campaign_cache: CampaignCache,
) -> None:
    """A new organization: redraw the campaign field for its platform."""
    await ack()
    view = body.get("view") or {}
    values = read_invite_values(state_values(view))
    chosen = (action.get("selected_option") or {}).get("value")
    if isinstance(chosen, str):
        values = InviteValues(**{**_as_dict(values), "organization": chosen})
    work = _redraw(deps, campaign_cache, client, _team(body), view, values)
    spawn_reported(deps, work, respond=None, name="invite_org_changed")


def _as_dict(values: InviteValues) -> dict[str, Any]:
    return {name: getattr(values, name) for name in InviteValues.__slots__}


def _chosen_organization(view: dict[str, Any]) -> str | None:
    values = read_invite_values(state_values(view))
    if values.organization:
        return values.organization
    for block in view.get("blocks") or ():
        if block.get("block_id") == BLOCK_INVITE_ORG:
            initial = (block.get("element") or {}).get("initial_option") or {}
            value = initial.get("value")
            return value if isinstance(value, str) else None
    return None


async def campaign_typeahead(
    ack: AsyncAck, body: dict[str, Any], deps: Deps, campaign_cache: CampaignCache
) -> None:
    """Gumado campaigns matching what was typed (the options are the ack: at most ~2 s)."""
    lines = await campaign_options(
        deps,
        campaign_cache,
        team_id=_team(body),
        organization=_chosen_organization(body.get("view") or {}),
        query=str(body.get("value") or ""),
    )
    await ack(options=[campaign_option(line.value, line.label) for line in lines])


async def _prepared(
    deps: Deps,
    access: InviteAccess,
    actor: Actor,
    view: dict[str, Any],
    context: InviteContext,
    values: InviteValues,
) -> tuple[Outcome, dict[str, Any] | None]:
    """Send; with a problem, also the form to show again (built here, so the ack is instant)."""
    checked, _ = check_invite_form(values, context)
    assert checked is not None
    view_id = str(view.get("id") or "")
    outcome = await send_invite(
        deps, access, actor, view_id=view_id, context=context, invite=checked
    )
    if outcome.kind in ("problem", "errors"):
        problem = outcome.problem or "Please check: " + "; ".join(outcome.errors.values())
        form = await form_with_problem(
            deps, team_id=actor.team_id, context=context, values=values, problem=problem
        )
        return outcome, build_invite_modal(form) if form else build_invite_notice(problem)
    return outcome, None


async def _finish_later(
    deps: Deps,
    client: AsyncWebClient,
    task: asyncio.Task[tuple[Outcome, dict[str, Any] | None]],
    view_id: str,
    context: InviteContext,
    user_id: str,
) -> None:
    """The slow path: the modal said "Sending…"; confirm, then show how it went there.

    The person may have closed the modal meanwhile (views.update then fails): the
    confirmation goes first, and a closed modal is no error.
    """
    try:
        outcome, form = await task
    except Exception:
        with contextlib.suppress(SlackApiError):
            await client.views_update(
                view_id=view_id, view=build_invite_notice(sorry_for_request())
            )
        raise
    view: dict[str, Any] | None = form
    if outcome.kind == "sent" and outcome.receipt is not None:
        await deliver_confirmation(client, context, user_id, outcome.receipt)
        view = build_invite_notice("\n".join(receipt_lines(outcome.receipt)), done=True)
    elif outcome.kind == "already":
        note = "This invite was already sent; the confirmation is in your messages."
        view = build_invite_notice(note, done=True)
    if view is not None:
        with contextlib.suppress(SlackApiError):
            await client.views_update(view_id=view_id, view=view)


async def invite_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    deps: Deps,
    directory: Directory,
    invite_access: InviteAccess,
) -> None:
    """Check the form (inline errors), send once, then close the modal and confirm privately."""
    context = InviteContext.load(
        view.get("private_metadata"), default_region=deps.settings.default_phone_region
    )
    values = read_invite_values(state_values(view))
    _, errors = check_invite_form(values, context)
    if errors:
        await ack(response_action="errors", errors=invite_block_errors(errors))
        return
    user_id = str(body["user"]["id"])
    actor = actor_of(body, client, directory, team_id=_team(body))
    task = deps.spawn(
        _prepared(deps, invite_access, actor, view, context, values), name="invite_send"
    )
    # The platform's answer decides the ack (close, or errors on the fields), so it is awaited
    # here, bounded well inside Slack's 3 s; a slower platform is finished in the background.
    race = await ack_within(INLINE_SECONDS, task)
    if not race.finished:
        await ack(response_action="update", view=build_invite_notice("Sending the invite…"))
        work = _finish_later(deps, client, task, str(view.get("id")), context, user_id)
        spawn_reported(deps, work, respond=None, name="invite_finish")
        return
    if race.failed:
        await ack(response_action="update", view=build_invite_notice(sorry_for_request()))
        return
    outcome, form = race.result()
    if outcome.kind == "errors":
        await ack(response_action="errors", errors=invite_block_errors(outcome.errors))
    elif outcome.kind == "problem" and form is not None:
        await ack(response_action="update", view=form)
    else:
        await ack()
    if outcome.kind == "sent" and outcome.receipt is not None:
        work2 = deliver_confirmation(client, context, user_id, outcome.receipt)
        spawn_reported(deps, work2, respond=None, name="invite_confirmation")


async def deliver_confirmation(
    client: AsyncWebClient, context: InviteContext, user_id: str, receipt: InviteReceipt
) -> None:
    """Post the confirmation privately: in the channel it started from, else as a DM."""
    message = build_invite_confirmation(receipt)
    if context.channel_id:
        try:
            await client.chat_postEphemeral(channel=context.channel_id, user=user_id, **message)
            return
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response else None
            log.info("invite_confirmation_dm_instead", error=error)
    opened = await client.conversations_open(users=user_id)
    await client.chat_postMessage(channel=opened["channel"]["id"], **message)


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach every way into the invite modal and the modal's own listeners (subcommand: above)."""
    app.action(ACTION_REQUEST_REVIEW)(request_review_clicked)
    app.shortcut(SHORTCUT_REQUEST_REVIEW)(request_review_shortcut)
    app.action(ACTION_HOME_INVITE)(request_review_shortcut)
    app.view(CALLBACK_INVITE)(invite_submitted)
    app.action(ACTION_INVITE_ORG)(organization_changed)
    app.options(ACTION_INVITE_CAMPAIGN)(campaign_typeahead)
