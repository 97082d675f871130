"""Image URLs worth putting in a block: Slack downloads each one and refuses the call on failure.

Slack renders PNG, JPEG and GIF only; an SVG or WebP ``image_url`` fails the whole message or
view (SLACK_FACTS.md §7). Gumado's ``source_logo`` and ``GET /sources`` logos are SVG in its
document (``https://example.com/logos/google.svg``), so cards show no logo for them.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from bot.blocks.text import safe_url

__all__ = ["UNRENDERABLE_SUFFIXES", "slack_image_url"]

UNRENDERABLE_SUFFIXES = (".svg", ".svgz", ".webp")


def slack_image_url(url: str | None) -> str | None:
    """``url`` when Slack can probably show it: http(s), not an SVG or WebP by its path."""
    safe = safe_url(url)
    if safe is None or unquote(urlsplit(safe).path).lower().endswith(UNRENDERABLE_SUFFIXES):
        return None
    return safe
