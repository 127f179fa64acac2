"""The one signed-link helper behind the offer and purchase links."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.services import signed_links as links

KEY = "s3cret-key-for-tests"


@pytest.mark.parametrize("kind", [links.OFFER_LINK, links.DEAL_LINK])
def test_round_trip_per_kind(kind):
    token = links.make_token(kind, 41, 7, 3, KEY)
    assert links.load_token(kind, token, KEY, max_age=60) == (41, 7, 3)


def test_a_token_of_one_kind_does_not_open_the_other():
    token = links.make_token(links.OFFER_LINK, 41, 7, 3, KEY)
    with pytest.raises(links.LinkError) as info:
        links.load_token(links.DEAL_LINK, token, KEY, max_age=60)
    assert info.value.expired is False


def test_other_key_and_tampering_are_invalid():
    token = links.make_token(links.DEAL_LINK, 41, 7, 3, KEY)
    for bad, key in ((token, "other-key"), (token[:-2] + "xx", KEY), ("garbage", KEY)):
        with pytest.raises(links.LinkError) as info:
            links.load_token(links.DEAL_LINK, bad, key, max_age=60)
        assert info.value.expired is False


def test_expired_token_says_so():
    token = links.make_token(links.DEAL_LINK, 41, 7, 3, KEY)
    with pytest.raises(links.LinkError) as info:
        links.load_token(links.DEAL_LINK, token, KEY, max_age=-1)
    assert info.value.expired is True


@pytest.mark.parametrize("payload", [
    {"k": True, "d": 7, "v": 1}, {"k": "41", "d": 7, "v": 1}, {"k": 2**70, "d": 7, "v": 1}, {"k": 0, "d": 7, "v": 1},
    {"d": 7, "v": 1}, [41, 7, 1],
])
def test_a_genuinely_signed_but_malformed_payload_is_refused(payload):
    token = URLSafeTimedSerializer(KEY, salt=links.DEAL_LINK.salt).dumps(payload)
    with pytest.raises(links.LinkError):
        links.load_token(links.DEAL_LINK, token, KEY, max_age=60)


@pytest.mark.parametrize(("revision", "expected"), [(None, None), (1, 1), (7, 7)])
def test_the_revision_a_link_was_issued_for_round_trips(revision, expected):
    token = links.make_token(links.OFFER_LINK, 41, 7, 3, KEY, revision=revision)
    assert links.load_token(links.OFFER_LINK, token, KEY, max_age=None) == (41, 7, 3)
    assert links.token_revision(links.OFFER_LINK, token, KEY) == expected


@pytest.mark.parametrize("revision", [True, "2", 0, -1, 2**70])
def test_a_malformed_revision_is_refused(revision):
    token = URLSafeTimedSerializer(KEY, salt=links.OFFER_LINK.salt).dumps({"o": 41, "d": 7, "v": 3, "r": revision})
    with pytest.raises(links.LinkError):
        links.token_revision(links.OFFER_LINK, token, KEY)

