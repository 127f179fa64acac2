"""Signed customer links: one helper for the offer link (``/o/<token>``) and the purchase link (``/p/<token>``).

A token is an ``itsdangerous.URLSafeTimedSerializer`` signature (HMAC with the app's ``SECRET_KEY``
and a salt per kind of link) over ``{<id key>: object id, "d": dealer id, "v": link version}``.
The dealer id lets the public page enter the right tenant before it reads anything; the link
version is the revocation switch: bumping ``link_version`` on the object invalidates every link
issued so far (withdrawal, cancellation, "revoke link" on demand) without a token table. The
token also expires after ``max_age`` seconds, counted from when it was signed (``None``: the
caller's own rule decides, e.g. the offer link lives as long as the offer's validity).

An offer link also carries ``"r"``, the revision number it was issued for, so the page of a
link sent before a revision can say that the offer was revised (``token_revision``). Tokens
issued before ``"r"`` existed have none and count as links to the current revision.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


@dataclass(frozen=True, slots=True)
class LinkKind:
    """One kind of customer link: its signing salt and the payload key of the object's id."""

    salt: str
    id_key: str


#: The customer's offer page. Salt and keys are those of the tokens already handed out.
OFFER_LINK = LinkKind(salt="offer-link", id_key="o")
#: The customer's purchase page of a deal.
DEAL_LINK = LinkKind(salt="deal-link", id_key="k")


class LinkError(ValueError):
    """A token that cannot be used: forged, malformed (``expired`` False) or too old (``expired`` True)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(kind: LinkKind, object_id: int, dealer_id: int, version: int, secret_key: str,
               revision: int | None = None) -> str:
    """Return the signed token of ``kind`` for the object ``object_id`` of ``dealer_id`` at link ``version``.

    ``revision`` (the revision number the link is issued for) is signed in as ``"r"`` when given.
    """
    payload = {kind.id_key: object_id, "d": dealer_id, "v": version}
    if revision is not None:
        payload["r"] = revision
    return URLSafeTimedSerializer(secret_key, salt=kind.salt).dumps(payload)


def load_token(kind: LinkKind, token: str, secret_key: str, max_age: int | None) -> tuple[int, int, int]:
    """Return ``(object id, dealer id, link version)`` from a token of ``kind`` at most ``max_age`` seconds old.

    Raises ``LinkError`` (``expired`` True for a genuine but too old token). The caller still
    compares the version with the object's current ``link_version``.
    """
    try:
        data = URLSafeTimedSerializer(secret_key, salt=kind.salt).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkError(expired=True) from exc
    except BadSignature as exc:
        raise LinkError(expired=False) from exc
    keys = (kind.id_key, "d", "v")
    # bool is an int: refuse it, and ids beyond a 64-bit key would only fail later in the database.
    if not (isinstance(data, dict) and all(type(data.get(k)) is int and 0 < data[k] < 2**63 for k in keys)):
        raise LinkError(expired=False)
    return data[kind.id_key], data["d"], data["v"]


def token_revision(kind: LinkKind, token: str, secret_key: str) -> int | None:
    """Return the revision number signed into a token of ``kind`` (``None`` when it carries none).

    Call it after ``load_token`` accepted the token; raises ``LinkError`` for a forged one or a
    revision that is not a positive int.
    """
    try:
        data = URLSafeTimedSerializer(secret_key, salt=kind.salt).loads(token)
    except BadSignature as exc:
        raise LinkError(expired=False) from exc
    revision = data.get("r") if isinstance(data, dict) else None
    if revision is None:
        return None
    if type(revision) is not int or not 0 < revision < 2**63:
        raise LinkError(expired=False)
    return revision
