"""Contract rules without the app: signature name match, payment split, content hash."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.contracts import content_hash, names_match, payment_split

D = Decimal


@pytest.mark.parametrize(
    ("typed", "expected", "match"),
    [
        ("김민준", "김민준", True),
        ("  김민준 ", "김민준", True),
        ("kim  MINJUN", "Kim Minjun", True),
        ("Ｋｉｍ Minjun", "Kim Minjun", True),  # full-width letters (NFKC)
        ("Kim", "Kim Minjun", False),
        ("김민", "김민준", False),
        ("", "Kim Minjun", False),
        ("   ", "", False),  # an empty name never matches
    ],
)
def test_names_match(typed, expected, match):
    assert names_match(typed, expected) is match


def test_payment_split_closes_and_rounds_to_the_currency():
    split = payment_split(currency="THB", out_the_door_price=D("1250000.00"), deposit=D("10000"),
                          amount_financed=D("900000.005"), trade_in_equity=D("-25000.00"))
    # 1,250,000 − 10,000 − 900,000.005 + 25,000 = 364,999.995 → 365,000.00 (half up, printed only)
    assert split.balance == D("364999.995")
    assert split.as_strings() == {"out_the_door_price": "1250000.00", "deposit": "10000.00", "amount_financed": "900000.00",
                                  "trade_in_equity": "-25000.00", "balance": "365000.00"}
    krw = payment_split(currency="KRW", out_the_door_price=D("35150000.00"), deposit=D("500000"), amount_financed=D("0"),
                        trade_in_equity=D("0"))
    assert krw.as_strings()["balance"] == "34650000"


def test_payment_split_refuses_floats_and_negative_parts():
    with pytest.raises(ValueError):
        payment_split(currency="KRW", out_the_door_price=1.5, deposit=D(0), amount_financed=D(0), trade_in_equity=D(0))
    with pytest.raises(ValueError):
        payment_split(currency="KRW", out_the_door_price=D(1), deposit=D(-1), amount_financed=D(0), trade_in_equity=D(0))


def test_content_hash_ignores_key_order_but_not_values():
    assert content_hash({"a": 1, "b": "김"}) == content_hash({"b": "김", "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert len(content_hash({})) == 64
