"""auth.test, users.*, usergroups.list/users.list and team.info of the Slack stand-in."""

from __future__ import annotations

import copy

from sandbox.slack_state import JSON, ApiRequest, Handler, SlackError, need, paginate


def auth_test(req: ApiRequest) -> JSON:
    """auth.test: who the token belongs to (scopes go in the x-oauth-scopes header)."""
    state = req.state
    return {
        "ok": True,
        "url": f"https://{state.domain}.slack.com/",
        "team": state.team_name,
        "user": state.users[state.bot_user_id]["name"],
        "team_id": req.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": False,
    }


def users_info(req: ApiRequest) -> JSON:
    """users.info: tz and tz_offset as of now; locale only with include_locale."""
    need(req.state, "users:read")
    user = req.state.user(req.text("user"))
    locale = user.pop("locale", None) or "en-US"  # a seeded user may carry their own
    if req.flag("include_locale"):
        user["locale"] = locale
    return {"ok": True, "user": user}


def users_list(req: ApiRequest) -> JSON:
    """users.list with cursor pagination."""
    state = req.state
    need(state, "users:read")
    members = [state.user(user_id) for user_id in state.users]
    for member in members:
        locale = member.pop("locale", None) or "en-US"
        if req.flag("include_locale"):
            member["locale"] = locale
    page, cursor = paginate(members, req.text("cursor"), req.number("limit", 0))
    return {
        "ok": True,
        "members": page,
        "cache_ts": int(state.clock()),
        "response_metadata": {"next_cursor": cursor},
    }


def usergroups_list(req: ApiRequest) -> JSON:
    """usergroups.list: members only with include_users, disabled groups only on request."""
    need(req.state, "usergroups:read")
    groups = []
    for group in req.state.usergroups:
        if group["date_delete"] and not req.flag("include_disabled"):
            continue
        shown = copy.deepcopy(group)
        if not req.flag("include_users"):
            del shown["users"]
        if not req.flag("include_count"):
            del shown["user_count"]
        groups.append(shown)
    return {"ok": True, "usergroups": groups}


def usergroups_users_list(req: ApiRequest) -> JSON:
    """usergroups.users.list: the member ids of one group (``no_such_subteam`` if unknown)."""
    need(req.state, "usergroups:read")
    wanted = req.text("usergroup")
    for group in req.state.usergroups:
        if group["id"] == wanted:
            if group["date_delete"] and not req.flag("include_disabled"):
                raise SlackError("no_such_subteam")
            return {"ok": True, "users": list(group["users"])}
    raise SlackError("no_such_subteam")


def team_info(req: ApiRequest) -> JSON:
    """team.info."""
    state = req.state
    need(state, "team:read")
    team = {
        "id": req.team_id,
        "name": state.team_name,
        "url": f"https://{state.domain}.slack.com/",
        "domain": state.domain,
        "email_domain": "example.com",
        "icon": {"image_default": True, "image_68": "https://a.slack-edge.com/team_68.png"},
        "is_verified": False,
    }
    return {"ok": True, "team": team}


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.list": users_list,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "team.info": team_info,
}
