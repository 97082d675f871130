"""Review-site names: one display name per source, whatever spelling a platform uses."""

from __future__ import annotations

import re

# Gumado webhooks name the source in lower case ("source_name": "google"), its API by display
# name ("source": "Google"); Cloutly uses lower-case ids ("trustpilot"). Sites are compared by
# their key (lower case, letters and digits only), so "booking.com", "Booking.com" and
# "booking_com" are one site. Which sites exist comes from the platforms (Gumado GET /sources,
# Cloutly GET /businesses), never from a table here.


def source_key(name: str) -> str:
    """The comparison key of a source name: ``Booking.com`` → ``bookingcom``."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def source_display_name(name: str) -> str:
    """Display name of a review source: ``google`` → ``Google``, ``booking.com`` → ``Booking.com``."""
    cleaned = name.strip()
    if any(char.isupper() for char in cleaned):
        return cleaned  # already a display name the platform chose, e.g. "MyLocalGuide"
    return " ".join(part.capitalize() for part in re.split(r"[\s_\-]+", cleaned) if part)
