"""Seed data of the Cloutly sandbox: the API key, businesses, campaigns and reviews.

Everything is derived from a ``random.Random`` and a "now", so the same seed gives the same
account. Reviews carry every field of the document's ``GET /reviews`` example, including the
reviewer's ``email`` and ``phoneNumber`` (fictional: ``example.com`` and ``+1 555`` numbers).
"Most fields a nullable", says the document, so some seeded reviews have no rating, no author,
no text or no source, some are archived, and some are "Responded" with no response passed on.
"""

from __future__ import annotations

import base64
import json
import random
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "API_KEY",
    "SEED_BUSINESSES",
    "SMS_LIMIT",
    "SUPPORTED_SOURCES",
    "BusinessSeed",
    "api_time",
    "make_review",
    "new_uuid",
    "seed_reviews",
]


def _b64(data: dict[str, str] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# The document shows the key as "x-api-key: YOUR_JWT_HERE": Cloutly keys are JWTs.
API_KEY = ".".join(
    (
        _b64({"alg": "HS256", "typ": "JWT"}),
        _b64({"sub": "sandbox-account", "iss": "cloutly-sandbox"}),
        _b64(b"cloutly-sandbox-signature-not-secret"),
    )
)

# Every source the sandbox accepts in ``GET /reviews?source=`` (lower-case, as the document's
# "google | facebook" and the example's "trustpilot").
SUPPORTED_SOURCES = (
    "google",
    "facebook",
    "trustpilot",
    "yelp",
    "tripadvisor",
    "booking",
    "airbnb",
    "productreview",
)

# Free SMS invites left in the current billing period (the document's example says 19).
SMS_LIMIT = 20

_NAMESPACE = uuid.UUID("8f0c8f6e-3b1d-4c55-9d0e-6f1d6b2c9a10")


@dataclass(frozen=True, slots=True)
class BusinessSeed:
    """A seeded business (location) with its connected sources and campaigns."""

    name: str
    sources: tuple[str, ...]
    campaign_names: tuple[str, ...]
    reply_signature: str

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, f"business:{self.name}"))

    def campaigns(self) -> list[tuple[str, str]]:
        """(id, name) of this business's campaigns; ids are stable whatever the seed."""
        return [
            (str(uuid.uuid5(_NAMESPACE, f"campaign:{self.name}:{name}")), name)
            for name in self.campaign_names
        ]


SEED_BUSINESSES = (
    BusinessSeed(
        "Harbor Dental Studio",
        ("google", "facebook"),
        ("Post-visit email", "SMS follow-up"),
        "Dr. Lena",
    ),
    BusinessSeed(
        "Blue Door Bistro", ("google", "yelp", "tripadvisor"), ("Dinner guests",), "Marco"
    ),
    BusinessSeed(
        "Northside Auto Care", ("google", "trustpilot"), ("Service complete", "Quarterly"), "Dave"
    ),
    BusinessSeed(
        "Maple & Co. Home Services", ("facebook", "trustpilot", "yelp"), ("Job done",), "Tara"
    ),
)

_FIRST = [
    "Tim",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
    "Amelia",
    "Aarav",
    "Chloé",
    "Jonas",
    "Zoë",
    "Priya",
    "Kenji",
    "Fatima",
    "Diego",
    "Hannah",
    "Oskar",
    "Leila",
    "Sam",
    "Grace",
    "Tomás",
    "Ingrid",
    "Wei",
    "Nia",
    "Rafael",
]
_LAST = [
    "Crowel",
    "Smith",
    "Nguyen",
    "García",
    "Müller",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Patel",
    "Johansson",
    "O'Brien",
    "Tanaka",
    "Haddad",
    "Silva",
    "Dubois",
    "Novak",
    "Kim",
    "Schmidt",
    "Andersen",
    "Moreau",
    "Brennan",
    "Costa",
    "Fischer",
    "Li",
]

_PRAISE = (
    "Fantastic. Couldn't be more satisfied.",
    "Friendly team and quick service, would recommend.",
    "Everything was on time & exactly as promised.",
    "Best experience I've had in years 🙌",
    "Great value, great people. 5 stars from me ⭐⭐⭐⭐⭐",
    "They went *above and beyond* for us.",
)
_MIXED = (
    "Good overall, but the wait was longer than expected.",
    "Decent, though communication could be better.",
    "Okay experience. Price was a bit high for what we got.",
    "Staff were nice; booking online was confusing <3 attempts>.",
)
_COMPLAINTS = (
    "Very disappointed. Nobody called me back.",
    "Rude at the front desk & the bill was wrong.",
    "Waited 45 minutes past my appointment. Not coming back 😡",
    "Would give zero stars if I could. <b>Avoid</b>.",
    "@channel they never fixed the issue, second visit in a week!",
)
_LONG = (
    "I want to write a proper review because the whole process deserves it. From the first "
    "phone call the team listened, explained every option with prices up front & never pushed "
    "anything we did not need. On the day they arrived early, protected the floors, kept us "
    "updated and cleaned up afterwards. When a part turned out to be missing they drove to "
    "fetch it rather than rebooking us for next week, which honestly saved our weekend. "
    "A couple of small things could be better: the invoice arrived by post before the email, "
    "and the parking instructions were confusing <the sign says 'staff only'>. None of that "
    "changes my rating. If you are comparing quotes, *ask them* — worth every penny. 👍"
)
_REPLIES_GOOD = (
    "Thank you for the wonderful feedback, {name}! We'll pass it on to the team :) {sig}",
    "Thanks so much {name}, we're glad you had a great experience. See you soon! {sig}",
)
_REPLIES_BAD = (
    "Sorry to hear this, {name}. Please call us so we can put it right. {sig}",
    "{name}, this is not the standard we aim for. Our manager will reach out today. {sig}",
)
_RATING_WEIGHTS = (8, 7, 12, 28, 45)


def api_time(moment: datetime) -> str:
    """The document's timestamp form: ``2021-02-03T00:00:00.000Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic for a seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _review_url(rng: random.Random, source: str, feedback_id: str, business: str) -> str | None:
    # The document: "reviewUrl": "" // or null — so some reviews have neither.
    roll = rng.random()
    if roll < 0.12:
        return ""
    if roll < 0.2:
        return None
    slug = "-".join(business.lower().replace("&", "and").replace(".", "").split())
    return {
        "google": f"https://www.google.com/maps/reviews/data=!4m5!14m4!1m3!1s{feedback_id}",
        "facebook": f"https://www.facebook.com/{feedback_id}",
        "yelp": f"https://www.yelp.com/biz/{slug}?hrid={feedback_id}",
        "trustpilot": f"https://www.trustpilot.com/reviews/{feedback_id}",
        "tripadvisor": f"https://www.tripadvisor.com/ShowUserReviews-r{feedback_id}",
    }.get(source, f"https://reviews.example/{source}/{feedback_id}")


def _text(rng: random.Random, rating: int) -> str | None:
    roll = rng.random()
    if roll < 0.1:
        return None  # star-only reviews are common on Google and Facebook
    if roll < 0.14:
        return _LONG
    pool = _PRAISE if rating >= 4 else _MIXED if rating == 3 else _COMPLAINTS
    return rng.choice(pool)


def make_review(
    rng: random.Random,
    business: BusinessSeed,
    *,
    source: str,
    rating: int,
    created: datetime,
    now: datetime,
) -> dict[str, Any]:
    """One review in the exact shape of the document's ``GET /reviews`` example."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    full = f"{first} {last}"
    feedback_id = f"{rng.getrandbits(96):024x}"
    response = None
    if rng.random() < (0.7 if rating <= 2 else 0.45):
        replied = min(now, created + timedelta(hours=rng.uniform(2, 120)))
        template = rng.choice(_REPLIES_GOOD if rating >= 4 else _REPLIES_BAD)
        response = {
            "name": business.name,
            "date": replied.date().isoformat(),  # date only, as in the document's example
            "comment": template.format(name=first, sig=business.reply_signature),
        }
    updated = (
        created if response is None else min(now, created + timedelta(hours=rng.uniform(2, 130)))
    )
    anonymous = rng.random() < 0.04
    media = rng.random() < 0.03
    return {
        "authorName": None if anonymous else full,
        "businessId": business.id,
        "createdAt": api_time(created),
        "email": _ascii(f"{first}.{last}@example.com").lower().replace("'", "")
        if rng.random() < 0.4
        else None,
        "id": new_uuid(rng),
        "isArchived": False,
        "name": None if anonymous else full,
        "phoneNumber": f"+1555{rng.randrange(10**7):07d}" if rng.random() < 0.2 else None,
        "photo": f"https://cdn.cloutly.example/avatars/{feedback_id[:12]}.png"
        if rng.random() < 0.3
        else None,
        "rating": str(rating),  # a string in the document's example ("rating": "5")
        "showOnWidget": rating >= 4 and rng.random() < 0.15,
        "response": response,
        "shield": False,
        "source": source,
        "sourceFeedbackId": feedback_id,
        "status": "Responded" if response else "New",
        "reviewUrl": _review_url(rng, source, feedback_id, business.name),
        "text": _text(rng, rating),
        "type": None,
        "videoRef": f"/uploads/{business.id[:8]}/{feedback_id[:8]}.mp4" if media else None,
        "gifRef": f"/uploads/{business.id[:8]}/{feedback_id[:8]}.gif" if media else None,
        "updatedAt": api_time(updated),
    }


def _nulled(review: dict[str, Any]) -> dict[str, Any]:
    """Null or flip some fields of a generated review, as the document allows.

    Decided by the review's own random ``sourceFeedbackId`` (not by drawing from the seed's
    generator), so every other seeded value stays what it was.
    """
    roll = int(review["sourceFeedbackId"][:8], 16)
    if roll % 23 == 0:
        review["rating"] = None
    if roll % 29 == 1:
        review["authorName"] = review["name"] = None
    if roll % 31 == 2:
        review["text"] = None
    if roll % 61 == 3:
        review["source"] = None
    if roll % 13 == 4:
        review["isArchived"] = True
    if roll % 19 == 5 and review["response"] is None:
        review["status"] = "Responded"  # answered on the review site; Cloutly has no text
    if roll % 37 == 6:
        review["showOnWidget"] = review["shield"] = review["status"] = None
    return review


def seed_reviews(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """About 150–250 reviews over the last 16 weeks: every business, source and rating."""
    plan: list[tuple[BusinessSeed, str, int]] = []
    # First every (business, source) pair and every rating once, so filters never come up empty.
    for index, (business, source) in enumerate((b, s) for b in SEED_BUSINESSES for s in b.sources):
        plan.append((business, source, index % 5 + 1))
    for _ in range(rng.randint(150, 220)):
        business = rng.choice(SEED_BUSINESSES)
        rating = rng.choices(range(1, 6), weights=_RATING_WEIGHTS)[0]
        plan.append((business, rng.choice(business.sources), rating))
    first_pass = sum(len(b.sources) for b in SEED_BUSINESSES)
    reviews = []
    for index, (business, source, rating) in enumerate(plan):
        created = now - timedelta(seconds=rng.uniform(600, 16 * 7 * 86400))
        created = created.replace(microsecond=created.microsecond // 1000 * 1000)
        review = make_review(rng, business, source=source, rating=rating, created=created, now=now)
        # The first pass stays whole: it is what guarantees every source and rating.
        reviews.append(review if index < first_pass else _nulled(review))
    return reviews
