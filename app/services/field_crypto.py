"""Encrypt secrets stored in database fields (payment-provider keys) with Fernet.

Key: ``FIELD_ENCRYPTION_KEY`` (a Fernet key: 32 url-safe base64-encoded bytes, make one with
``python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``).
Production refuses to encrypt or decrypt without it. In development and tests, when it is unset,
a stable key is derived from ``SECRET_KEY`` with HKDF-SHA256 (RFC 5869; salt
``forecourt-field-encryption``, info ``fernet-v1``), so a restarted dev server still reads what it
wrote. Changing ``SECRET_KEY`` in development therefore makes stored secrets unreadable: re-enter them.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"forecourt-field-encryption"
_INFO = b"fernet-v1"


class FieldKeyMissing(RuntimeError):
    """Production has no ``FIELD_ENCRYPTION_KEY``."""


class SecretUnreadable(ValueError):
    """A stored secret cannot be decrypted with the current key."""


def derive_key(secret_key: str) -> bytes:
    """Return a Fernet key derived from ``secret_key`` with HKDF-SHA256 (development and tests only)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def fernet_for(config) -> Fernet:
    """Return the ``Fernet`` for a Flask ``config``; raises ``FieldKeyMissing`` in production without a key."""
    key = config.get("FIELD_ENCRYPTION_KEY") or ""
    if key:
        return Fernet(key.encode() if isinstance(key, str) else key)
    if config.get("REQUIRE_FIELD_ENCRYPTION_KEY"):
        raise FieldKeyMissing("FIELD_ENCRYPTION_KEY must be set in production")
    return Fernet(derive_key(config["SECRET_KEY"]))


def encrypt(config, plain: str) -> str:
    """Return ``plain`` encrypted as a Fernet token (text)."""
    return fernet_for(config).encrypt(plain.encode()).decode()


def decrypt(config, token: str) -> str:
    """Return the plain text of a Fernet ``token``; raises ``SecretUnreadable`` for a wrong key or a tampered token."""
    try:
        return fernet_for(config).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("The stored secret cannot be read with the current key") from exc


def mask(last4: str) -> str:
    """Return the masked display of a secret from its last four characters (``"••••••••1a2b"``); empty → ""."""
    return f"••••••••{last4}" if last4 else ""
