"""What the ``/reviews subscribe`` modal offers, and the context it carries.

The handler (``handlers/subscriptions.py``) opens the modal at once with a loading notice (the
trigger id dies 3 s after the command), asks :func:`subscribe_form_data` and shows the form, or
the UserError's sentence saying why there is none.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from bot.deps import Deps
from bot.errors import SlackRefused
from bot.services.actor import Actor
from bot.services.channels import check_channel
from bot.services.subscriptions import Catalog, known_source_names, load_catalog, require_admin

__all__ = ["FormContext", "SubscribeFormData", "read_form_context", "subscribe_form_data"]


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


@dataclass(frozen=True)
class SubscribeFormData:
    """The choices the form offers: cached organizations and locations, known review sites."""

    catalog: Catalog
    sources: list[str]


async def subscribe_form_data(deps: Deps, actor: Actor) -> SubscribeFormData:
    """What the form for ``actor.channel_id`` offers; UserError says why there is no form."""
    assert actor.channel_id is not None
    await require_admin(deps, actor)
    await check_channel(actor.client, actor.channel_id)
    catalog = await load_catalog(deps, actor.team_id)
    with contextlib.suppress(SlackRefused):
        # Warm the cache, so handles typed in the form resolve quickly on submit.
        await actor.directory.usergroups(actor.client, actor.team_id)
    return SubscribeFormData(catalog, await known_source_names(deps, catalog.connections))
