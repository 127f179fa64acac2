"""Per-dealer API keys: created and revoked by a principal, stored as SHA-256, shown once.

A key reads ``fc_<prefix>_<secret>``: ``prefix`` (10 hex characters, stored, not secret) finds the
row, ``secret`` (32 random bytes, URL-safe) is only ever stored as the SHA-256 of the whole key.
A random 256-bit secret needs no slow password hash: guessing it is infeasible, and SHA-256 keeps
the per-request check cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.inventory import ApiKey
from app.services import audit
from app.tenancy import all_tenants


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, *, user_id: int | None) -> tuple[ApiKey, str]:
    """Create a key for the dealer in scope; return the row and the plain key (show it once)."""
    prefix = secrets.token_hex(5)
    plain = f"fc_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(name=name.strip(), prefix=prefix, key_hash=_digest(plain), created_by_id=user_id)
    session.add(key)
    session.flush()
    audit.record(session, "api_key.create", key, after={"name": key.name, "prefix": prefix})
    return key, plain


def revoke_key(session: Session, key: ApiKey) -> bool:
    """Revoke ``key`` (audit-logged); return False when it was already revoked."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    audit.record(session, "api_key.revoke", key, before={"name": key.name})
    session.flush()
    return True


def prefix_of(token: str) -> str | None:
    """Return the prefix of a well-formed key, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "fc" or len(parts[1]) != 10:
        return None
    return parts[1]


def authenticate(session: Session, token: str) -> ApiKey | None:
    """Return the active key matching ``token`` (constant-time hash comparison), or None.

    Cross-tenant by nature: the key is what tells us the tenant, so the lookup by its prefix runs
    with the ``all_tenants`` bypass before any scope exists.
    """
    prefix = prefix_of(token or "")
    if prefix is None:
        return None
    with all_tenants():
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, _digest(token)):
        return None
    return key
