"""The ``/reviews subscribe`` modal's round trip: open it at once, fill it, act on the submission.

The trigger id dies 3 s after the command, so the modal opens first with a loading notice;
the admin check, the channel check and the cached names follow, then ``views.update`` shows
the form (or why there is none).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.subscribe_modal import (
    CatalogOption,
    build_subscribe_modal,
    build_subscribe_notice,
)
from bot.blocks.subscribe_state import SubscribeChoice
from bot.blocks.subscriptions import build_notes, build_subscribed
from bot.deps import Deps
from bot.errors import UserError
from bot.log import get_logger
from bot.services.channels import check_channel
from bot.services.directory import Directory
from bot.services.subscriptions import (
    known_source_names,
    load_catalog,
    require_admin,
    subscribe,
)

__all__ = [
    "FormContext",
    "Respond",
    "fill_subscribe_form",
    "open_subscribe_form",
    "read_form_context",
    "submit_subscribe_form",
]

log = get_logger(__name__)

Respond = Callable[..., Awaitable[Any]]
"""Bolt's ``respond`` (posts to a response_url)."""


@dataclass(frozen=True, slots=True)
class FormContext:
    """What the modal carries in ``private_metadata``: the channel and the command's response_url."""

    channel_id: str
    response_url: str | None = None

    def dump(self) -> str:
        """As ``private_metadata`` (at most 3000 characters)."""
        data: dict[str, str] = {"channel_id": self.channel_id}
        if self.response_url and len(self.response_url) < 2500:
            data["response_url"] = self.response_url
        return json.dumps(data, separators=(",", ":"))


def read_form_context(private_metadata: str | None) -> FormContext | None:
    """The context a submitted modal carries, or None when it is missing or unreadable."""
    try:
        data = json.loads(private_metadata or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("channel_id"), str):
        return None
    url = data.get("response_url")
    return FormContext(data["channel_id"], url if isinstance(url, str) else None)


def _options(entries: Any) -> list[CatalogOption]:
    return [
        CatalogOption(
            e.connection_id, e.connection_name, e.platform_id, e.name, e.organization_platform_id
        )
        for e in entries
    ]


async def open_subscribe_form(
    deps: Deps,
    directory: Directory,
    client: AsyncWebClient,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    trigger_id: str,
    response_url: str | None,
) -> None:
    """Open the modal (loading), then show the form, a refusal or the channel problem."""
    context = FormContext(channel_id, response_url)
    metadata = context.dump()
    try:
        opened = await client.views_open(
            trigger_id=trigger_id,
            view=build_subscribe_notice("Loading organizations…", private_metadata=metadata),
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error") if exc.response else "unknown_error")
        log.warning("subscribe_modal_open_failed", error=error)
        raise UserError(
            f"Slack didn't let me open the form ({error}); run `/reviews subscribe` again, "
            "or subscribe with words such as `/reviews subscribe all`."
        ) from None
    await fill_subscribe_form(
        deps,
        directory,
        client,
        team_id=team_id,
        user_id=user_id,
        view_id=str(opened["view"]["id"]),
        view_hash=opened["view"].get("hash"),
        context=context,
    )


async def fill_subscribe_form(
    deps: Deps,
    directory: Directory,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    view_id: str,
    view_hash: str | None,
    context: FormContext,
) -> None:
    """Replace the open modal ``view_id`` (a loading notice) with the form, or why there is none."""
    channel_id = context.channel_id
    metadata = context.dump()
    try:
        await require_admin(deps, directory, client, team_id=team_id, user_id=user_id)
        await check_channel(client, channel_id)
        catalog = await load_catalog(deps, team_id)
    except UserError as exc:
        notice = build_subscribe_notice(exc.user_message(), private_metadata=metadata)
        await client.views_update(view_id=view_id, view=notice)
        return
    with contextlib.suppress(SlackApiError):
        # Warm the cache, so handles typed in the form resolve quickly on submit.
        await directory.usergroups(client, team_id)
    view = build_subscribe_modal(
        channel_id=channel_id,
        organizations=_options(catalog.organizations),
        locations=_options(catalog.locations),
        sources=await known_source_names(deps, catalog.connections),
        private_metadata=metadata,
    )
    await client.views_update(view_id=view_id, hash=view_hash, view=view)


async def _tell(
    client: AsyncWebClient,
    respond: Respond | None,
    *,
    channel_id: str,
    user_id: str,
    message: dict[str, Any],
    in_channel: bool,
) -> None:
    """Post through the command's response_url when there is one, else through the Web API."""
    if respond is not None:
        await respond(
            **message,
            response_type="in_channel" if in_channel else "ephemeral",
            replace_original=False,
        )
    elif in_channel:
        await client.chat_postMessage(channel=channel_id, **message)
    else:
        await client.chat_postEphemeral(channel=channel_id, user=user_id, **message)


async def submit_subscribe_form(
    deps: Deps,
    directory: Directory,
    client: AsyncWebClient,
    *,
    team_id: str,
    user_id: str,
    context: FormContext,
    choice: SubscribeChoice,
    respond: Respond | None,
) -> None:
    """Create the subscription a valid submission asks for and announce it in the channel."""
    channel_id = context.channel_id
    try:
        await require_admin(deps, directory, client, team_id=team_id, user_id=user_id)
        result = await subscribe(
            deps,
            directory,
            client,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            chosen=choice.filter,
            connection_id=choice.connection_id,
        )
    except UserError as exc:
        await _tell(
            client,
            respond,
            channel_id=channel_id,
            user_id=user_id,
            message=build_notes([exc.user_message()]),
            in_channel=False,
        )
        return
    if result.created:
        message = build_subscribed(
            channel_id=channel_id,
            user_id=user_id,
            subscription_id=result.subscription_id,
            description=result.description,
        )
        await _tell(
            client,
            respond,
            channel_id=channel_id,
            user_id=user_id,
            message=message,
            in_channel=True,
        )
    if result.notes:
        await _tell(
            client,
            respond,
            channel_id=channel_id,
            user_id=user_id,
            message=build_notes(result.notes),
            in_channel=False,
        )
