import pytest

from app.domain.contact import InvalidPhoneNumber, format_phone, normalize_phone, phone_search_key


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("010-1234-5678", "KR", "+821012345678"),
        ("+82 10 1234 5678", "KR", "+821012345678"),
        ("02-555-0123", "KR", "+8225550123"),
        ("081 234 5678", "TH", "+66812345678"),
        ("(416) 555-0142", "CA", "+14165550142"),
    ],
)
def test_normalize_phone(raw, country, expected):
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize(("raw", "country"), [("", "KR"), ("hello", "KR"), ("010-1234", "KR"), ("010-1234-5678", "TH")])
def test_invalid_phone_numbers(raw, country):
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw, country)


def test_search_key_and_display():
    assert phone_search_key("010 1234 5678", "KR") == "+821012345678"
    assert phone_search_key("Kim", "KR") is None
    assert format_phone("+821012345678", "KR") == "010-1234-5678"
    assert format_phone("+821012345678", "TH") == "+82 10-1234-5678"
