"""Deterministic seed data for the Gumado sandbox, built from ``random.Random(seed)`` and "now".

Five organizations with two or three locations each, about 300 reviews over the last 16 weeks
from every source that collects reviews and with every rating, replies on many of them,
campaigns per organization, one unsubscribed contact and two earlier invites.
"""

from __future__ import annotations

import hashlib
import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.gumado_models import (
    CampaignRecord,
    InviteRecord,
    LocationRecord,
    OrganizationRecord,
    ReviewRecord,
    SourceRecord,
)
from sandbox.gumado_texts import (
    AWKWARD,
    BUSINESSES,
    COUNTRIES,
    FIRST_NAMES,
    LAST_NAMES,
    LONG_PARAGRAPHS,
    MIXED,
    NEGATIVE,
    POSITIVE,
    REPLIES,
    SOURCES,
    TITLES,
    VOCABULARY,
)

REVIEW_COUNT = 300
SEED_WEEKS = 16
FIRST_REVIEW_ID = 1001
ME = {"id": 1, "name": "John Smith", "email": "john@example.com"}
UNSUBSCRIBED_EMAIL = "unsubscribed@example.com"
UNSUBSCRIBED_PHONE = "+14155550199"
RECENT_INVITE_EMAIL = "recent.customer@example.com"
RETURNING_INVITE_EMAIL = "returning.customer@example.com"
# Ratings lean positive, as real review feeds do.
_RATING_WEIGHTS = {5: 46, 4: 22, 3: 11, 2: 8, 1: 13}
_SOURCE_URLS = {
    "google": "https://maps.google.com/review/{id}",
    "facebook": "https://www.facebook.com/reviews/{id}",
    "yelp": "https://www.yelp.com/biz_review/{id}",
    "trustpilot": "https://www.trustpilot.com/reviews/{id}",
    "tripadvisor": "https://www.tripadvisor.com/ShowUserReviews-{id}",
    "booking": "https://www.booking.com/reviews/{id}",
    "airbnb": "https://www.airbnb.com/users/reviews/{id}",
    "amazon": "https://www.amazon.com/gp/customer-reviews/{id}",
    "app_store": "https://apps.apple.com/app/reviews/{id}",
    "google_play": "https://play.google.com/store/apps/details?reviewId={id}",
}


@dataclass
class GumadoSeed:
    """Everything the sandbox starts with."""

    me: dict[str, Any]
    sources: list[SourceRecord]
    organizations: list[OrganizationRecord]
    locations: list[LocationRecord]
    campaigns: list[CampaignRecord]
    reviews: list[ReviewRecord]
    countries: list[dict[str, str]]
    unsubscribed: set[str] = field(default_factory=set)
    invites: list[InviteRecord] = field(default_factory=list)
    kinds: dict[int, str] = field(default_factory=dict)
    """Organization id → business kind (for texts of reviews added later)."""


def make_uuid(rng: random.Random) -> str:
    """A random (version 4) UUID drawn from ``rng``, so seeds repeat."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_identifier(rng: random.Random) -> str:
    """A source's own review id, like the document's ``AbcXyz123``."""
    return "".join(rng.choices(string.ascii_letters + string.digits, k=14))


def make_author(rng: random.Random) -> str:
    """A realistic reviewer name; some sites show only the initial of the last name."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first} {last[0]}." if rng.random() < 0.25 else f"{first} {last}"


def avatar_for(identifier: str, rng: random.Random) -> str | None:
    """About half the reviewers have a picture (an identicon keyed by the review)."""
    if rng.random() < 0.5:
        return None
    digest = hashlib.md5(identifier.encode(), usedforsecurity=False).hexdigest()
    return f"https://www.gravatar.com/avatar/{digest}?d=identicon&s=96"


def band(rating: int) -> str:
    """``positive`` (4–5), ``mixed`` (3) or ``negative`` (1–2)."""
    return "positive" if rating >= 4 else "mixed" if rating == 3 else "negative"


def review_text(rng: random.Random, kind: str, rating: int) -> str:
    """A review text for a business ``kind`` and ``rating``."""
    pool = {"positive": POSITIVE, "mixed": MIXED, "negative": NEGATIVE}[band(rating)]
    return fill(rng.choice(pool), rng, kind)


def fill(template: str, rng: random.Random, kind: str) -> str:
    """Put a business's staff, service and detail words into ``template``."""
    words = VOCABULARY[kind]
    text = template.format(
        staff=rng.choice(words["staff"]),
        thing=rng.choice(words["thing"]),
        detail=rng.choice(words["detail"]),
    )
    return text[:1].upper() + text[1:]


def reply_text(rng: random.Random, rating: int, author: str) -> str:
    """The business's answer to a review."""
    return rng.choice(REPLIES[band(rating)]).format(first=author.split()[0])


def source_records() -> list[SourceRecord]:
    """Every source of ``GET /sources``."""
    return [
        SourceRecord(
            id=sid,
            name=name,
            slug=slug,
            url=url,
            available=available,
            can_collect_reviews=collects,
            has_titles=titled,
        )
        for sid, name, slug, url, available, collects, titled in SOURCES
    ]


def build_seed(rng: random.Random, now: datetime) -> GumadoSeed:
    """Build the sandbox's starting state; the same ``rng`` seed and ``now`` give the same data."""
    sources = source_records()
    by_slug = {source.slug: source for source in sources}
    account_start = now - timedelta(days=400)
    organizations: list[OrganizationRecord] = []
    locations: list[LocationRecord] = []
    campaigns: list[CampaignRecord] = []
    kinds: dict[int, str] = {}
    for org_id, (name, kind, location_names, campaign_specs, _) in enumerate(BUSINESSES, 1):
        created = account_start + timedelta(days=org_id * 11, hours=rng.randint(8, 17))
        organizations.append(OrganizationRecord(org_id, name, created, created))
        kinds[org_id] = kind
        for location_name in location_names:
            stamp = created + timedelta(days=rng.randint(0, 30))
            locations.append(
                LocationRecord(len(locations) + 1, org_id, location_name, stamp, stamp)
            )
        for campaign_name, window, delay in campaign_specs:
            campaigns.append(
                CampaignRecord(make_uuid(rng), org_id, campaign_name, window, delay, 14)
            )

    reviews = _reviews(rng, now, organizations, locations, by_slug, kinds)
    first_campaign = campaigns[0].id
    invites = [
        InviteRecord(
            id=make_uuid(rng),
            campaign_id=first_campaign,
            status="queued",
            received_at=now - timedelta(days=3),
            email=RECENT_INVITE_EMAIL,
            first_name="Recent",
        ),
        InviteRecord(
            id=make_uuid(rng),
            campaign_id=first_campaign,
            status="queued",
            received_at=now - timedelta(days=20),
            email=RETURNING_INVITE_EMAIL,
            first_name="Returning",
        ),
    ]
    return GumadoSeed(
        me=dict(ME),
        sources=sources,
        organizations=organizations,
        locations=locations,
        campaigns=campaigns,
        reviews=reviews,
        countries=[{"id": code, "name": name} for code, name in COUNTRIES],
        unsubscribed={UNSUBSCRIBED_EMAIL, UNSUBSCRIBED_PHONE},
        invites=invites,
        kinds=kinds,
    )


def _drafts(
    rng: random.Random,
    now: datetime,
    organizations: list[OrganizationRecord],
    by_slug: dict[str, SourceRecord],
) -> list[tuple[datetime, int, str, int]]:
    """(published, organization id, source slug, rating) of every seeded review, oldest first."""
    weights = {org.id: BUSINESSES[org.id - 1][4] for org in organizations}
    collecting = [slug for slug, source in by_slug.items() if source.can_collect_reviews]
    span = timedelta(weeks=SEED_WEEKS).total_seconds()
    drafts: list[tuple[datetime, int, str, int]] = []
    for index in range(REVIEW_COUNT):
        org = organizations[index % len(organizations)]
        if index < len(collecting):
            # The first reviews walk through every collecting source and every rating.
            slug = collecting[index]
            org = next(o for o in organizations if slug in weights[o.id])
            rating = index % 5 + 1
        else:
            slugs, slug_weights = zip(*weights[org.id].items(), strict=True)
            slug = rng.choices(slugs, weights=slug_weights)[0]
            rating = rng.choices(list(_RATING_WEIGHTS), weights=list(_RATING_WEIGHTS.values()))[0]
        published = now - timedelta(seconds=rng.uniform(600, span))
        drafts.append((published.replace(microsecond=0), org.id, slug, rating))
    drafts.sort(key=lambda draft: draft[0])
    return drafts


def _reviews(
    rng: random.Random,
    now: datetime,
    organizations: list[OrganizationRecord],
    locations: list[LocationRecord],
    by_slug: dict[str, SourceRecord],
    kinds: dict[int, str],
) -> list[ReviewRecord]:
    drafts = _drafts(rng, now, organizations, by_slug)
    awkward_at = {REVIEW_COUNT - 3 - i * 23: item for i, item in enumerate(AWKWARD)}
    long_at = {REVIEW_COUNT - 12, REVIEW_COUNT - 80, REVIEW_COUNT - 150}
    reviews: list[ReviewRecord] = []
    for index, (published, org_id, slug, rating) in enumerate(drafts):
        kind = kinds[org_id]
        source = by_slug[slug]
        if index in awkward_at:
            rating, template = awkward_at[index]
            message = fill(template, rng, kind)
        elif index in long_at:
            message = "\n\n".join(fill(p, rng, kind) for p in LONG_PARAGRAPHS * 2)
            rating = 4
        else:
            message = review_text(rng, kind, rating)
        org_locations = [loc for loc in locations if loc.organization_id == org_id]
        identifier = make_identifier(rng)
        author = make_author(rng)
        created = published + timedelta(minutes=rng.randint(1, 45))
        review = ReviewRecord(
            id=FIRST_REVIEW_ID + index,
            organization_id=org_id,
            location_id=rng.choice(org_locations).id,
            source=source,
            identifier=identifier,
            author=author,
            rating=rating,
            original_rating=rating,
            published_on=published,
            created_at=min(created, now),
            updated_at=min(created, now),
            title=rng.choice(TITLES[band(rating)]) if source.has_titles else None,
            message=message if rng.random() > 0.04 or index in awkward_at else None,
            avatar=avatar_for(identifier, rng),
            url=_SOURCE_URLS.get(slug, source.url + "/reviews/{id}").format(id=identifier),
            verified=rng.random() < 0.9,
        )
        _history(review, index, rng, now)
        reviews.append(review)
    return reviews


def _history(review: ReviewRecord, index: int, rng: random.Random, now: datetime) -> None:
    """What happened to a seeded review after it was published: a reply, hiding, an edit."""
    published, rating = review.published_on, review.rating
    # Businesses answer most bad reviews and about a third of the rest, after a while.
    reply_chance = 0.75 if rating <= 2 else 0.35
    if now - published > timedelta(days=2) and rng.random() < reply_chance:
        replied = min(published + timedelta(hours=rng.uniform(2, 72)), now)
        review.reply_message = reply_text(rng, rating, review.author)
        review.reply_published_on = replied.replace(microsecond=0)
        review.reply_url = review.url
        review.updated_at = review.reply_published_on
    # Every few reviews is hidden on the widget or was edited by its reviewer (decided
    # by position, not by drawing from ``rng``, so every other seeded value stays put).
    review.hidden = index % 37 == 5
    if index % 29 == 3 and now - published > timedelta(days=1):
        review.original_rating = rating - 2 if rating >= 3 else rating + 2
        review.review_updated_on = published + timedelta(hours=20)
        review.updated_at = max(review.updated_at, review.review_updated_on)
