"""views.* methods of the Slack stand-in: modals with trigger ids, hashes and stacks; Home tabs."""

from __future__ import annotations

import copy
from typing import cast

from sandbox.slack_limits import check_view
from sandbox.slack_state import (
    JSON,
    TRIGGER_LIFETIME_SECONDS,
    ApiRequest,
    Handler,
    SlackError,
    SlackState,
    trigger_issued_at,
)

MAX_STACK = 3


def redeem_trigger(state: SlackState, trigger_id: str) -> None:
    """Use a trigger id once, within 3 s of its issue, or raise as Slack does."""
    issued_at = trigger_issued_at(trigger_id)
    if issued_at is None:
        raise SlackError("invalid_trigger_id")
    if trigger_id in state.used_triggers:
        raise SlackError("exchanged_trigger_id")
    if state.clock() - issued_at > TRIGGER_LIFETIME_SECONDS:
        raise SlackError("expired_trigger_id")
    state.used_triggers.add(trigger_id)


def _external_id_taken(state: SlackState, external_id: str, view_id: str | None) -> bool:
    return any(
        view["external_id"] == external_id and view["id"] != view_id
        for view in state.views.values()
    )


def _view(req: ApiRequest, surface: str) -> JSON:
    spec = req.structured("view", "invalid_arguments")
    check_view(spec, surface=surface)  # raises unless spec is a dict describing that surface
    req.check_images()
    return cast(JSON, spec)


def store_view(
    state: SlackState, spec: JSON, *, view_id: str, root_view_id: str | None, previous: str | None
) -> JSON:
    """Save ``spec`` as view ``view_id`` the way Slack returns it, with a fresh hash."""
    external_id = str(spec.get("external_id", ""))
    if external_id and _external_id_taken(state, external_id, view_id):
        raise SlackError("duplicate_external_id")
    old_state = state.views.get(view_id, {}).get("state", {"values": {}})
    view: JSON = {
        "id": view_id,
        "team_id": state.team_id,
        "type": spec["type"],
        "blocks": copy.deepcopy(spec.get("blocks", [])),
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "state": old_state,
        "hash": state.new_hash(),
        "title": spec.get("title"),
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "close": spec.get("close"),
        "submit": spec.get("submit"),
        "previous_view_id": previous,
        "root_view_id": root_view_id,
        "app_id": state.app_id,
        "external_id": external_id,
        "app_installed_team_id": state.team_id,
        "bot_id": state.bot_id,
    }
    state.views[view_id] = view
    return view


def open_view(req: ApiRequest) -> JSON:
    """views.open: a new modal stack from a fresh trigger id."""
    state = req.state
    trigger_id = req.required("trigger_id", "invalid_trigger_id")
    spec = _view(req, "modal")
    redeem_trigger(state, trigger_id)
    view_id = state.new_id("V")
    view = store_view(state, spec, view_id=view_id, root_view_id=view_id, previous=None)
    state.view_stacks.append([view_id])
    return {"ok": True, "view": copy.deepcopy(view)}


def push_view(req: ApiRequest) -> JSON:
    """views.push: onto the stack the trigger came from (else the newest), at most 3 deep."""
    state = req.state
    trigger_id = req.required("trigger_id", "invalid_trigger_id")
    spec = _view(req, "modal")
    origin = state.trigger_views.get(trigger_id)
    stacks = [s for s in state.view_stacks if origin in s] or state.view_stacks[-1:]
    if not stacks:
        raise SlackError("invalid_trigger_id")
    stack = stacks[-1]
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    redeem_trigger(state, trigger_id)
    view_id = state.new_id("V")
    view = store_view(state, spec, view_id=view_id, root_view_id=stack[0], previous=stack[-1])
    stack.append(view_id)
    return {"ok": True, "view": copy.deepcopy(view)}


def update_view(req: ApiRequest) -> JSON:
    """views.update: by view_id or external_id; a stale hash is a hash_conflict."""
    state = req.state
    view_id, external_id = req.text("view_id"), req.text("external_id")
    spec = _view(req, "modal")
    if view_id:
        current = state.views.get(view_id)
    else:
        found = [v for v in state.views.values() if external_id and v["external_id"] == external_id]
        current = found[0] if found else None
    if current is None or current["type"] != "modal":
        raise SlackError("not_found")
    given_hash = req.text("hash")
    if given_hash and given_hash != current["hash"]:
        raise SlackError("hash_conflict")
    if "external_id" not in spec:
        spec = {**spec, "external_id": current["external_id"]}
    view = store_view(
        state,
        spec,
        view_id=current["id"],
        root_view_id=current["root_view_id"],
        previous=current["previous_view_id"],
    )
    return {"ok": True, "view": copy.deepcopy(view)}


def publish_view(req: ApiRequest) -> JSON:
    """views.publish: the Home tab of one user (one view id per user, new hash each time)."""
    state = req.state
    user_id = req.required("user_id", "user_not_found")
    state.user(user_id)
    spec = _view(req, "home")
    view_id = state.home_views.get(user_id)
    given_hash = req.text("hash")
    if view_id and given_hash and given_hash != state.views[view_id]["hash"]:
        raise SlackError("hash_conflict")
    view_id = view_id or state.new_id("V")
    view = store_view(state, spec, view_id=view_id, root_view_id=None, previous=None)
    state.home_views[user_id] = view_id
    return {"ok": True, "view": copy.deepcopy(view)}


HANDLERS: dict[str, Handler] = {
    "views.open": open_view,
    "views.push": push_view,
    "views.update": update_view,
    "views.publish": publish_view,
}
