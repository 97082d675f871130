"""Review-site names: one display name per source, whatever spelling a platform uses."""

from __future__ import annotations

import re

# Gumado webhooks name the source in lower case ("source_name": "google"), its API by display
# name ("source": "Google"); Cloutly uses lower-case ids ("trustpilot"). Keys are the name
# lower-cased with everything but letters and digits removed, so "booking.com", "Booking.com"
# and "booking_com" all find "Booking.com".
KNOWN_SOURCES: dict[str, str] = {
    "google": "Google",
    "googlemaps": "Google",
    "googlebusiness": "Google",
    "facebook": "Facebook",
    "yelp": "Yelp",
    "trustpilot": "Trustpilot",
    "tripadvisor": "TripAdvisor",
    "booking": "Booking.com",
    "bookingcom": "Booking.com",
    "airbnb": "Airbnb",
    "amazon": "Amazon",
    "appstore": "Apple App Store",
    "appleappstore": "Apple App Store",
    "apple": "Apple App Store",
    "googleplay": "Google Play",
    "playstore": "Google Play",
    "googleplaystore": "Google Play",
    "expedia": "Expedia",
    "hotelscom": "Hotels.com",
    "opentable": "OpenTable",
    "zomato": "Zomato",
    "foursquare": "Foursquare",
    "glassdoor": "Glassdoor",
    "indeed": "Indeed",
    "capterra": "Capterra",
    "g2": "G2",
    "g2crowd": "G2",
    "houzz": "Houzz",
    "homeadvisor": "HomeAdvisor",
    "angi": "Angi",
    "angieslist": "Angi",
    "bbb": "BBB",
    "zillow": "Zillow",
    "healthgrades": "Healthgrades",
    "zocdoc": "Zocdoc",
    "vitals": "Vitals",
    "ratemds": "RateMDs",
    "etsy": "Etsy",
    "ebay": "eBay",
    "shopify": "Shopify",
    "feefo": "Feefo",
    "reviewsio": "Reviews.io",
    "sitejabber": "Sitejabber",
    "productreview": "ProductReview",
    "trustedshops": "Trusted Shops",
    "checkatrade": "Checkatrade",
    "treatwell": "Treatwell",
    "thumbtack": "Thumbtack",
    "nextdoor": "Nextdoor",
    "doordash": "DoorDash",
    "ubereats": "Uber Eats",
    "grubhub": "Grubhub",
    "deliveroo": "Deliveroo",
    "justeat": "Just Eat",
    "thefork": "TheFork",
    "agoda": "Agoda",
    "vrbo": "Vrbo",
    "carscom": "Cars.com",
    "cargurus": "CarGurus",
    "dealerrater": "DealerRater",
    "edmunds": "Edmunds",
    "hotfrog": "Hotfrog",
    "wordofmouth": "WordOfMouth",
}


def source_key(name: str) -> str:
    """The comparison key of a source name: ``Booking.com`` → ``bookingcom``."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def source_display_name(name: str) -> str:
    """Display name of a review source: ``google`` → ``Google``; unknown names title-cased."""
    cleaned = name.strip()
    key = source_key(cleaned)
    if key in KNOWN_SOURCES:
        return KNOWN_SOURCES[key]
    if any(char.isupper() for char in cleaned):
        return cleaned  # already a display name the platform chose, e.g. "MyLocalGuide"
    return " ".join(part.capitalize() for part in re.split(r"[\s_\-]+", cleaned) if part)
