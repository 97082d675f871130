"""``/_sandbox/…`` control routes of the Gumado sandbox (loopback only, no token).

They drive what the real platform does on its own: reviews arriving and changing, locations
added, webhooks registered, faults injected, a token's rate-limit budget used up by another
holder of it; and show what it did (invites, deliveries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.gumado_models import SandboxInvalid, json_object

if TYPE_CHECKING:
    from sandbox.gumado import GumadoSandbox

_FAULT_FIELDS: dict[str, tuple[type, ...]] = {
    "status": (int,),
    "count": (int,),
    "retry_after": (int, float, str),
    "delay": (int, float),
    "path": (str,),
    "body": (str,),
    "content_type": (str,),
}


def _checked_fault(body: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for name in sorted(set(body) - set(_FAULT_FIELDS)):
        errors[name] = [f"The {name} field is not allowed."]
    for name, types in _FAULT_FIELDS.items():
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            errors[name] = [f"The {name} field has the wrong type."]
    retry_after = body.get("retry_after")
    if isinstance(retry_after, str) and not (retry_after.isascii() and retry_after.isprintable()):
        errors["retry_after"] = ["The retry_after field must be printable ASCII."]
    if errors:
        raise SandboxInvalid(errors)
    return {name: value for name, value in body.items() if value is not None}


class _Control:
    """The control routes' handlers for one sandbox."""

    def __init__(self, sandbox: GumadoSandbox) -> None:
        self.sandbox = sandbox

    async def add_webhook(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        events = body.get("events")
        if events is not None and (
            not isinstance(events, list) or not all(isinstance(e, str) for e in events)
        ):
            raise SandboxInvalid({"events": ["The events field must be a list of event names."]})
        url = body.get("url")
        if not isinstance(url, str):
            raise SandboxInvalid({"url": ["The url field is required."]})
        try:
            subscription = self.sandbox.webhooks.register(url, events)
        except ValueError as exc:
            raise SandboxInvalid({"url": [str(exc)]}) from None
        shown = sorted(subscription.events) if subscription.events is not None else None
        return web.json_response(
            {"id": subscription.id, "url": subscription.url, "events": shown}, status=201
        )

    async def list_webhooks(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "id": s.id,
                    "url": s.url,
                    "events": sorted(s.events) if s.events is not None else None,
                }
                for s in self.sandbox.webhook_subscriptions
            ]
        )

    async def deliveries(self, request: web.Request) -> web.Response:
        return web.json_response([attempt.as_dict() for attempt in self.sandbox.deliveries])

    async def add_review(self, request: web.Request) -> web.Response:
        return web.json_response(self.sandbox.add_review(**await json_object(request)), status=201)

    async def update_review(self, request: web.Request) -> web.Response:
        changes = await json_object(request)
        return web.json_response(self.sandbox.update_review(request.match_info["id"], **changes))

    async def add_location(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        payload = self.sandbox.add_location(body.get("organization_id"), body.get("name"))
        return web.json_response(payload, status=201)

    async def update_location(self, request: web.Request) -> web.Response:
        body = await json_object(request)
        payload = self.sandbox.update_location(
            request.match_info["id"],
            name=body.get("name"),
            organization_id=body.get("organization_id"),
        )
        return web.json_response(payload)

    async def delete_location(self, request: web.Request) -> web.Response:
        return web.json_response(self.sandbox.delete_location(request.match_info["id"]))

    async def add_fault(self, request: web.Request) -> web.Response:
        fields = _checked_fault(await json_object(request))
        try:
            fault = self.sandbox.inject_fault(**fields)
        except ValueError as exc:
            raise SandboxInvalid({"fault": [str(exc)]}) from None
        return web.json_response(
            {"status": fault.status, "count": fault.count, "delay": fault.delay}, status=201
        )

    async def clear_faults(self, request: web.Request) -> web.Response:
        self.sandbox.clear_faults()
        return web.json_response({"message": "Faults cleared."})

    async def spend(self, request: web.Request) -> web.Response:
        # Another holder of the token (a second replica, another tool) uses up its budget.
        body = await json_object(request)
        name, count = body.get("token"), body.get("count")
        if not isinstance(name, str) or name not in self.sandbox.tokens:
            raise SandboxInvalid({"token": ["The token field must name a sandbox token."]})
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise SandboxInvalid({"count": ["The count field must be an integer of at least 1."]})
        return web.json_response({"remaining": self.sandbox.spend(name, count)})

    async def invites(self, request: web.Request) -> web.Response:
        return web.json_response([invite.as_dict() for invite in self.sandbox.invites])


def control_routes(app: web.Application, sandbox: GumadoSandbox) -> None:
    """Add the control routes for ``sandbox`` to ``app``."""
    control = _Control(sandbox)
    app.router.add_post("/_sandbox/webhooks", control.add_webhook)
    app.router.add_get("/_sandbox/webhooks", control.list_webhooks)
    app.router.add_get("/_sandbox/deliveries", control.deliveries)
    app.router.add_post("/_sandbox/reviews", control.add_review)
    app.router.add_patch("/_sandbox/reviews/{id}", control.update_review)
    app.router.add_post("/_sandbox/locations", control.add_location)
    app.router.add_patch("/_sandbox/locations/{id}", control.update_location)
    app.router.add_delete("/_sandbox/locations/{id}", control.delete_location)
    app.router.add_post("/_sandbox/faults", control.add_fault)
    app.router.add_delete("/_sandbox/faults", control.clear_faults)
    app.router.add_get("/_sandbox/invites", control.invites)
    app.router.add_post("/_sandbox/rate-limit/spend", control.spend)
