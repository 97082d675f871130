"""Token encryption, webhook keys and contact hashes."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.crypto import TokenCipher, new_webhook_key, same_secret
from bot.errors import ConfigError


def test_round_trip_and_ciphertext_hides_the_token() -> None:
    cipher = TokenCipher(Fernet.generate_key().decode())
    stored = cipher.encrypt("gumado-secret-token")
    assert "gumado-secret-token" not in stored
    assert cipher.decrypt(stored) == "gumado-secret-token"
    assert "key" in repr(cipher) and Fernet.generate_key().decode() not in repr(cipher)


def test_wrong_key_and_bad_key_are_clear_errors() -> None:
    stored = TokenCipher(Fernet.generate_key().decode()).encrypt("t")
    with pytest.raises(ConfigError, match="ENCRYPTION_KEY"):
        TokenCipher(Fernet.generate_key().decode()).decrypt(stored)
    with pytest.raises(ConfigError, match="generate_key"):
        TokenCipher("not-a-key")


def test_contact_hash_is_stable_keyed_and_normalized() -> None:
    key = Fernet.generate_key().decode()
    a, b = TokenCipher(key), TokenCipher(Fernet.generate_key().decode())
    assert a.contact_hash("Sarah@Example.com ") == a.contact_hash("sarah@example.com")
    assert a.contact_hash("sarah@example.com") != b.contact_hash("sarah@example.com")
    assert "sarah" not in a.contact_hash("sarah@example.com")


def test_webhook_keys_are_long_random_and_url_safe() -> None:
    keys = {new_webhook_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(k) >= 32 and k.replace("-", "").replace("_", "").isalnum() for k in keys)
    assert same_secret("abc", "abc") and not same_secret("abc", "abd")
