"""Sending a review invite from the modal: check, claim, call the platform, record, confirm.

The ``invites`` row is committed *before* the platform is called, keyed by the submission
(view id + what was submitted), so a double click or a retried submission sends one invite.
The contact is stored only as salted hashes (one per channel), enough to notice a repeat.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.deps import Deps
from bot.domain import InviteFormInfo, InviteResult
from bot.errors import (
    AuthError,
    ConfigError,
    Invalid,
    NotFound,
    ProviderError,
    RateLimited,
    ScopeError,
    Unavailable,
)
from bot.log import get_logger
from bot.providers.patience import patiently
from bot.providers.protocol import InviteRequest
from bot.providers.registry import PLATFORMS, platform_info
from bot.results import InviteReceipt, InviteValues
from bot.services.actor import Actor
from bot.services.contacts import Contact, ContactFields, validate_contact
from bot.services.invite_access import InviteAccess, refusal
from bot.services.invite_context import InviteContext
from bot.text import escape_mrkdwn
from storage.models import Connection
from storage.repositories import organization_names
from storage.repositories.invites import claim_invite, finish_invite, get_invite, recent_invite_to

__all__ = [
    "FORM_FIELDS",
    "CheckedInvite",
    "Outcome",
    "check_invite_form",
    "send_invite",
    "submission_key",
]

log = get_logger(__name__)

DUPLICATE_WINDOW = timedelta(days=14)
"""The default duplicate protection window of Gumado's document ("Important Behavior Notes"):
a repeat to the same campaign within it is pointed out in the confirmation."""
STALE_SENDING = timedelta(minutes=2)
PATIENCE_SECONDS = 5.0
DEADLINE_SECONDS = 20.0
WHAT = "browse reviews and send review invites"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ORG_VALUE = re.compile(r"^(\d{1,12}):(.{1,64})$")
FORM_FIELDS: dict[str, str] = {
    "organization": "organization",
    "business_id": "organization",
    "campaign": "campaign",
    "campaign_id": "campaign_id",
    "email": "email",
    "phone": "phone",
    "first_name": "first_name",
    "last_name": "last_name",
    "send_after_hours": "send_after_hours",
}
"""Our and the platforms' field names (``Invalid.field_errors``) → the form field that shows the
error; the handler puts each on its input block (the invite modal's ``FIELD_BLOCKS``)."""


@dataclass(frozen=True, slots=True)
class CheckedInvite:
    """A submission that passed the checks made before any platform call."""

    connection_id: int
    organization_id: str
    campaign_id: str
    campaign_label: str
    contact: Contact


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a submission ended, for the modal and the person."""

    kind: Literal["sent", "already", "errors", "problem"]
    receipt: InviteReceipt | None = None
    errors: dict[str, str] = field(default_factory=dict)
    """Form field (a value of ``FORM_FIELDS``) → message; the handler puts each on its input."""
    problem: str | None = None
    """A mrkdwn sentence for the top of the form."""


def _short(message: str) -> str:
    return message if len(message) <= 150 else message[:149] + "…"


def check_invite_form(
    values: InviteValues, context: InviteContext
) -> tuple[CheckedInvite | None, dict[str, str]]:
    """Validate the form before any platform call: (the invite, {}) or (None, field → message)."""
    errors: dict[str, str] = {}
    match = _ORG_VALUE.match(values.organization or "")
    if match is None:
        errors["organization"] = "Choose the organization the customer visited."
    if context.platform not in PLATFORMS:
        return None, {"organization": "Choose the organization again."}
    form = platform_info(context.platform).invite
    campaign = (values.campaign_id or "").strip()
    if not form.campaign_search and not _CAMPAIGN_ID.match(campaign):
        errors["campaign_id"] = (
            "Paste the campaign id from the campaign's address (letters, digits, -)."
        )
    elif form.campaign_search and not _UUID.match(campaign):
        errors["campaign"] = "Pick one of the organization's campaigns from the list."
    fields = ContactFields(
        values.email, values.phone, values.first_name, values.last_name, values.send_after_hours
    )
    contact, problems = validate_contact(
        fields, default_region=context.region, first_name_required=form.first_name_required
    )
    errors.update({FORM_FIELDS[name]: _short(text) for name, text in problems.items()})
    if errors or contact is None or match is None:
        return None, errors
    label = values.campaign_label or campaign
    return CheckedInvite(int(match.group(1)), match.group(2), campaign, label, contact), {}


def submission_key(view_id: str, platform: str, invite: CheckedInvite) -> str:
    """The same for the same modal submitted with the same values (a double click, a retry)."""
    contact = invite.contact
    what = [
        view_id,
        platform,
        invite.connection_id,
        invite.organization_id,
        invite.campaign_id,
        contact.email,
        contact.phone,
        contact.first_name,
        contact.last_name,
        contact.send_after_hours,
    ]
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def _contact_parts(deps: Deps, contact: Contact) -> list[str]:
    if deps.cipher is None:
        raise ConfigError("ENCRYPTION_KEY is not set, so invites cannot be recorded safely")
    parts = []
    if contact.email:
        parts.append("e:" + deps.cipher.contact_hash(contact.email)[:56])
    if contact.phone:
        parts.append("p:" + deps.cipher.contact_hash(contact.phone)[:56])
    return parts


def _campaign_field(form: InviteFormInfo) -> str:
    return "campaign" if form.campaign_search else "campaign_id"


def _field_errors(exc: Invalid, name: str, form: InviteFormInfo) -> Outcome:
    errors: dict[str, str] = {}
    for field_name, messages in exc.field_errors.items():
        shown_on = FORM_FIELDS.get(field_name)
        if field_name == "campaign_id":
            shown_on = _campaign_field(form)
        if shown_on is not None and messages:
            errors.setdefault(shown_on, _short(" ".join(messages)))
    if errors:
        return Outcome("errors", errors=errors)
    said = escape_mrkdwn(exc.message)
    return Outcome("problem", problem=f"{name} refused the invite: {said}")


def _failure(exc: ProviderError, connection: Connection) -> tuple[str, Outcome]:
    """(the invite row's status, the outcome) for a platform error."""
    info = platform_info(connection.platform)
    name, form = info.display_name, info.invite
    if isinstance(exc, Invalid):
        return "rejected", _field_errors(exc, name, form)
    if isinstance(exc, NotFound):
        text = f"{name} doesn't know {form.unknown_campaign}; check it and try again."
        return "rejected", Outcome("errors", errors={_campaign_field(form): _short(text)})
    if isinstance(exc, ScopeError):
        return "failed", Outcome(
            "problem",
            problem=(
                f"The {name} token of connection `{escape_mrkdwn(connection.name)}` can't send "
                f"invites: {form.scope_help or 'it lacks the permission to.'}"
            ),
        )
    if isinstance(exc, RateLimited):
        return "failed", Outcome(
            "problem", problem=f"{escape_mrkdwn(exc.message)}. Your entries are kept."
        )
    if isinstance(exc, Unavailable) and form.outcome_unknown_on_timeout:
        return "unknown", Outcome(
            "problem",
            problem=(
                f"{name} didn't answer, so the customer may or may not have been added. Check "
                f"the campaign in {name} before sending again."
            ),
        )
    if isinstance(exc, Unavailable):
        return "failed", Outcome(
            "problem", problem=f"{escape_mrkdwn(exc.message)}. Nothing was sent; try again."
        )
    if isinstance(exc, AuthError):
        return "failed", Outcome("problem", problem=escape_mrkdwn(exc.message))
    return "failed", Outcome(
        "problem", problem=f"{name} refused the invite: {escape_mrkdwn(exc.message)}"
    )


async def _call(deps: Deps, connection: Connection, invite: CheckedInvite) -> InviteResult:
    provider = deps.providers.provider_for(connection)
    contact = invite.contact
    request = InviteRequest(
        organization_id=invite.organization_id,
        campaign_id=invite.campaign_id,
        email=contact.email,
        phone=contact.phone,
        first_name=contact.first_name,
        last_name=contact.last_name,
        send_after_hours=contact.send_after_hours,
    )
    return await patiently(
        provider,
        provider.send_invite(request),
        patience=PATIENCE_SECONDS,
        deadline=DEADLINE_SECONDS,
    )


async def _claim(
    deps: Deps,
    actor: Actor,
    connection: Connection,
    key: str,
    invite: CheckedInvite,
    parts: list[str],
    now: datetime,
) -> tuple[int, str | None, datetime | None] | None:
    """Record the submission before the platform call: (row id, earlier sender, when), or None
    when this submission was already claimed (a double click, a retry)."""
    async with deps.sessions() as session, session.begin():
        claimed = await claim_invite(
            session,
            submission_key=key,
            team_id=actor.team_id,
            user_id=actor.user_id,
            connection_id=connection.id,
            campaign_id=invite.campaign_id,
            organization_platform_id=invite.organization_id,
            contact_hash=";".join(parts),
            now=now,
            stale_before=now - STALE_SENDING,
        )
        if claimed is None:
            existing = await get_invite(session, submission_key=key)
            log.info("invite_submission_repeated", status=existing.status if existing else None)
            return None
        earlier = await recent_invite_to(
            session,
            connection_id=connection.id,
            campaign_id=invite.campaign_id,
            contact_parts=parts,
            since=now - DUPLICATE_WINDOW,
            exclude_id=claimed.id,
        )
        earlier_by, earlier_at = (earlier.user_id, earlier.created_at) if earlier else (None, None)
        return claimed.id, earlier_by, earlier_at


def _receipt(
    connection: Connection,
    names: dict[str, str],
    invite: CheckedInvite,
    result: InviteResult,
    accepted_at: datetime,
    earlier: tuple[str | None, datetime | None],
) -> InviteReceipt:
    """What the confirmation tells the person who sent the invite."""
    contact = invite.contact
    info = platform_info(connection.platform)
    return InviteReceipt(
        form=info.invite,
        platform_label=info.display_name,
        organization_name=names.get(invite.organization_id),
        campaign_label=invite.campaign_label,
        contact=contact.masked(),
        customer_name=" ".join(n for n in (contact.first_name, contact.last_name) if n) or None,
        invite_id=result.id or None,
        send_after_hours=contact.send_after_hours,
        accepted_at=accepted_at,
        earlier_by=earlier[0],
        earlier_at=earlier[1],
        sms_left=result.sms_limits_left,
    )


async def send_invite(
    deps: Deps,
    access: InviteAccess,
    actor: Actor,
    *,
    view_id: str,
    context: InviteContext,
    invite: CheckedInvite,
) -> Outcome:
    """Claim the submission, send the invite once, record how it went."""
    if not await access.allows(deps.settings, actor):
        return Outcome("problem", problem=refusal(deps.settings, WHAT))
    now = deps.clock()
    async with deps.sessions() as session:
        connection = await session.get(Connection, invite.connection_id)
        if connection is None or connection.team_id != actor.team_id:
            return Outcome(
                "errors", errors={"organization": "That connection is gone; choose again."}
            )
        names = await organization_names(session, connection_id=connection.id)
    if connection.platform != context.platform:
        return Outcome("problem", problem="The organization changed: choose the campaign again.")
    try:
        parts = _contact_parts(deps, invite.contact)
    except ConfigError as exc:
        return Outcome("problem", problem=escape_mrkdwn(str(exc)))
    key = submission_key(view_id, connection.platform, invite)
    claimed = await _claim(deps, actor, connection, key, invite, parts, now)
    if claimed is None:
        return Outcome("already")
    invite_row_id, earlier_by, earlier_at = claimed
    try:
        result = await _call(deps, connection, invite)
    except (ProviderError, ConfigError) as exc:
        if isinstance(exc, ConfigError):
            status, outcome = "failed", Outcome("problem", problem=escape_mrkdwn(str(exc)))
        else:
            status, outcome = _failure(exc, connection)
        log.warning("invite_not_sent", status=status, error_type=type(exc).__name__)
        async with deps.sessions() as session, session.begin():
            await finish_invite(session, invite_id=invite_row_id, status=status)
        return outcome
    async with deps.sessions() as session, session.begin():
        await finish_invite(
            session, invite_id=invite_row_id, status="sent", platform_invite_id=result.id or None
        )
    receipt = _receipt(connection, names, invite, result, now, (earlier_by, earlier_at))
    return Outcome("sent", receipt=receipt)
