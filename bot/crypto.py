"""Secrets at rest: Fernet for platform tokens, random webhook keys, salted contact hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import ConfigError

HOW_TO_MAKE_A_KEY = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def split_keys(value: str) -> list[str]:
    """The keys of an ``ENCRYPTION_KEY`` value: ``new`` or ``new,old,…`` (newest first)."""
    return [key.strip() for key in value.split(",") if key.strip()]


class TokenCipher:
    """Encrypts platform tokens with the ``ENCRYPTION_KEY`` Fernet key (AES-128-CBC + HMAC).

    ``ENCRYPTION_KEY`` may list several keys, newest first (``new,old``): the first encrypts,
    any of them decrypts, and :meth:`rotate` re-encrypts with the first (``reviewbot
    rotate-key``), after which the old keys can be dropped.
    """

    def __init__(self, key: str) -> None:
        keys = split_keys(key)
        try:
            if not keys:
                raise ValueError("no key")
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError):
            raise ConfigError(
                f"ENCRYPTION_KEY is not a valid Fernet key; make one with `{HOW_TO_MAKE_A_KEY}`"
            ) from None
        # Contact hashes use the newest key only: after a rotation, an invite sent before it
        # is no longer recognised as a duplicate (the platform's own duplicate window remains).
        self._key = keys[0].encode()
        self.key_count = len(keys)

    def __repr__(self) -> str:
        return "TokenCipher(<key hidden>)"

    def encrypt(self, token: str) -> str:
        """Ciphertext (url-safe text) for ``token``."""
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The token back; ConfigError when it was encrypted with another key."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "a stored token cannot be decrypted with this ENCRYPTION_KEY "
                "(was the key changed? restore it or reconnect the platform)"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """``ciphertext`` encrypted again with the newest key (ConfigError if no key opens it)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "a stored token cannot be decrypted with any key of ENCRYPTION_KEY "
                "(keep the old key after the new one: ENCRYPTION_KEY=new,old)"
            ) from None

    def contact_hash(self, contact: str) -> str:
        """A salted, keyed hash of an email/phone: comparable, never reversible to the contact."""
        normalized = contact.strip().casefold().encode()
        salt = hashlib.sha256(b"reviewbot-contact:" + self._key).digest()
        return hmac.new(salt, normalized, hashlib.sha256).hexdigest()


def new_webhook_key() -> str:
    """A webhook key with 192 random bits, safe in a URL path."""
    return secrets.token_urlsafe(24)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison for secrets from the network."""
    return hmac.compare_digest(given.encode(), expected.encode())
