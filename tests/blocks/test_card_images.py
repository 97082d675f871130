"""Cards carry only images Slack can render: Gumado's SVG logos and WebP pictures are left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.blocks.card import build_review_card
from bot.blocks.images import slack_image_url
from bot.domain import Review


def review(**urls: str | None) -> Review:
    return Review(
        platform="gumado",
        id="4711",
        rating=4,
        source="Google",
        published_at=datetime(2026, 11, 22, 14, 5, tzinfo=UTC),
        author="Sarah Johnson",
        text="Friendly staff.",
        **urls,
    )


def images(payload: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for block in payload["blocks"]:
        for element in [block, block.get("accessory"), *(block.get("elements") or [])]:
            if isinstance(element, dict) and element.get("type") == "image":
                found.append(element["image_url"])
    return found


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/logos/google.svg",  # Gumado's document, GET /reviews and /sources
        "https://cdn.test/logo.SVG?v=3",
        "https://cdn.test/logo%2Esvg",
        "https://cdn.test/logo.svgz",
        "https://cdn.test/photo.webp#x",
        "data:image/png;base64,xx",
        None,
    ],
)
def test_an_image_slack_cannot_render_is_left_out(url: str | None) -> None:
    assert slack_image_url(url) is None
    payload = build_review_card(
        review(source_logo_url=url, avatar_url=url), organization_name="Acme", location_name=None
    )
    assert images(payload) == []
    assert "Sarah Johnson" in str(payload["blocks"])  # the author is still named


def test_png_jpeg_gif_and_extensionless_images_are_kept() -> None:
    logo, avatar = "https://cdn.test/google.png", "https://www.gravatar.com/avatar/ab?d=identicon"
    payload = build_review_card(
        review(source_logo_url=logo, avatar_url=avatar), organization_name=None, location_name=None
    )
    assert images(payload) == [logo, avatar]
    assert slack_image_url("https://cdn.test/a.svg.png?format=svg") == (
        "https://cdn.test/a.svg.png?format=svg"
    )
