"""``/reviews list`` and its *‹ Prev* / *Next ›* buttons: ack at once, fetch, answer privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.ids import ACTION_LIST_NEXT, ACTION_LIST_PREV
from bot.blocks.listing import build_list_problem, build_listing
from bot.deps import Deps
from bot.errors import UserError
from bot.services.actor import Actor
from bot.services.browse import list_from_button, list_from_text
from bot.services.directory import Directory
from bot.services.invite_access import InviteAccess, refusal
from handlers.actors import actor_of
from handlers.errors import spawn_reported
from handlers.subcommands import SlashRequest, subcommand

__all__ = ["register"]

WHAT = "browse reviews and send review invites"


@subcommand(
    "list",
    "browse reviews privately, with the same filters and page:N",
    '/reviews list org:"Acme Dental" rating:<=3 page:2',
)
async def list_command(request: SlashRequest) -> None:
    """Answer ``/reviews list <filters>`` (after the ack) with a page, or a sentence saying why not.

    A fresh InviteAccess: in a group-restricted workspace each command asks
    ``usergroups.users.list`` once (the paging buttons share the cached one).
    """
    await _answer(
        request.deps, InviteAccess(), request.actor, request.respond, False, text=request.text
    )


async def _answer(
    deps: Deps,
    access: InviteAccess,
    actor: Actor,
    respond: AsyncRespond,
    replace: bool,
    *,
    text: str | None = None,
    value: str | None = None,
) -> None:
    if not await access.allows(deps.settings, actor):
        message = build_list_problem(refusal(deps.settings, WHAT))
    else:
        try:
            if value is not None:
                page = await list_from_button(deps, team_id=actor.team_id, value=value)
            else:
                page = await list_from_text(deps, team_id=actor.team_id, text=text or "")
            message = build_listing(page)
        except UserError as exc:
            message = build_list_problem(exc.user_message())
    await respond(**message, response_type="ephemeral", replace_original=replace)


async def page_clicked(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    deps: Deps,
    directory: Directory,
    invite_access: InviteAccess,
) -> None:
    """*‹ Prev* / *Next ›*: replace the listing with the page the button's value names."""
    await ack()
    team_id = str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id"))
    actor = actor_of(body, client, directory, team_id=team_id)
    work = _answer(deps, invite_access, actor, respond, True, value=str(action.get("value") or ""))
    spawn_reported(deps, work, respond=respond, name="list_page")


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the paging buttons (the subcommand: above)."""
    app.action(ACTION_LIST_PREV)(page_clicked)
    app.action(ACTION_LIST_NEXT)(page_clicked)
