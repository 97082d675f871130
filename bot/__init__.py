"""Slack review bot: Gumado and Cloutly reviews in Slack."""

__version__ = "0.1.0"
