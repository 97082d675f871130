"""Storage's own errors: storage sits below the app and imports nothing from ``bot/``.

``reviewbot`` reports them like the app's ``ConfigError`` and ``StartupError`` (``bot/__main__.py``).
"""

from __future__ import annotations

__all__ = ["DatabaseURLError", "MigrationError", "StorageError"]


class StorageError(Exception):
    """Root of every error storage raises on purpose."""


class DatabaseURLError(StorageError):
    """DATABASE_URL is not one we support; the message says what was given (password masked)."""


class MigrationError(StorageError):
    """Migrating the database failed; the message names the database (password masked)."""
