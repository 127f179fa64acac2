"""Promotions and banners through the UI and services: validity edges in the brand time zone, lifecycle, banners."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.domain.promotions import PromotionStatus
from app.extensions import db
from app.models.accounts import Dealer
from app.models.promotions import Promotion, PromotionBanner
from app.services import promotions as service
from tests.corporate import factories as cf


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def test_create_promotion_via_ui_and_publish(client, corp, read):
    base, token = corp
    response = client.post(f"{base}/promotions/new", data={
        "csrf_token": token, "code": "NEWYEAR", "name": "New year", "name_ko": "신년", "kind": "cash_discount",
        "scope": "order", "amount": "1000000", "all_dealers": "y", "valid_from": "2026-01-01T00:00",
        "valid_until": "2099-01-01T00:00", "priority": "5", "budget_max_count": "100"})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    row_id = read(lambda: db.session.scalar(select(Promotion.id).where(Promotion.code == "NEWYEAR")))
    assert client.post(f"{base}/promotions/{row_id}/publish", data={"csrf_token": token}).status_code == 302
    page = client.get(f"{base}/promotions/?status=active", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "NEWYEAR" in page and "<html" not in page
    assert client.get(f"{base}/promotions/?status=draft").get_data(as_text=True).count("NEWYEAR") == 0
    # Once active, pricing fields are frozen.
    response = client.post(f"{base}/promotions/{row_id}", data={
        "csrf_token": token, "code": "NEWYEAR", "name": "New year", "kind": "cash_discount", "scope": "order",
        "amount": "2000000", "all_dealers": "y", "valid_from": "2026-01-01T00:00", "valid_until": "2099-01-01T00:00",
        "priority": "5"})
    assert response.status_code == 400 and "Cannot change amount" in response.get_data(as_text=True)


@pytest.mark.parametrize("data,message", [
    ({"kind": "cash_discount", "scope": "order"}, "needs a discount amount"),
    ({"kind": "percent_discount", "scope": "order", "percent": "150"}, "cannot exceed 100"),
    ({"kind": "coupon", "scope": "order", "amount": "50000"}, "needs at least one code"),
    ({"kind": "cash_discount", "scope": "item", "amount": "5"}, "needs at least one target"),
    ({"kind": "cash_discount", "scope": "order", "amount": "5", "valid_from": "2026-05-01T00:00",
      "valid_until": "2026-04-01T00:00"}, "valid_until must be after valid_from"),
    ({"kind": "coupon", "scope": "order", "amount": "5", "coupons": "bad code!"}, "is not a valid code"),
])
def test_invalid_promotions_show_the_rule_and_save_nothing(client, corp, read, data, message):
    base, token = corp
    response = client.post(f"{base}/promotions/new", data={"csrf_token": token, "code": "X1", "name": "X",
                                                           "all_dealers": "y", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert read(lambda: db.session.scalar(select(func.count()).select_from(Promotion))) == 0


# Validity "2026-12-31 00:00 → 2027-01-01 00:00" in Asia/Seoul (UTC+9): hand-computed UTC edges.
EDGES = [
    ("2026-12-30 14:59:59", PromotionStatus.SCHEDULED),
    ("2026-12-30 15:00:00", PromotionStatus.ACTIVE),
    ("2026-12-31 14:59:59", PromotionStatus.ACTIVE),
    ("2026-12-31 15:00:00", PromotionStatus.EXPIRED),
]


@pytest.mark.parametrize("now,expected", EDGES)
def test_validity_edges_in_brand_time_zone(app, world, make, read, now, expected):
    row_id = make(cf.promotion, world.ids["brand_a"], valid_from=cf.local("2026-12-31 00:00"),
                  valid_until=cf.local("2027-01-01 00:00"), published=True)
    assert read(lambda: service.status(db.session.get(Promotion, row_id), "Asia/Seoul", _utc(now))) is expected


def test_withdraw_is_final_and_expired_cannot_publish(app, client, corp, world, make, read):
    base, token = corp
    expired = make(cf.promotion, world.ids["brand_a"], valid_until=cf.local("2020-01-01 00:00"))
    response = client.post(f"{base}/promotions/{expired}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "validity has already ended" in response.get_data(as_text=True)
    live = make(cf.promotion, world.ids["brand_a"])
    client.post(f"{base}/promotions/{live}/withdraw", data={"csrf_token": token})
    response = client.post(f"{base}/promotions/{live}/publish", data={"csrf_token": token}, follow_redirects=True)
    assert "Only a draft can be published" in response.get_data(as_text=True)
    assert read(lambda: db.session.get(Promotion, live).withdrawn) is True


def _png(size=(1200, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


def test_banner_upload_and_dealer_dashboard(app, client, corp, login, world, read):
    base, token = corp
    bad = client.post(f"{base}/banners/new", data={"csrf_token": token, "headline_en": "Spring", "all_dealers": "y",
                                                   "image": (io.BytesIO(b"GIF89a......"), "x.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "JPEG, PNG or WebP" in bad.get_data(as_text=True)
    missing = client.post(f"{base}/banners/new", data={"csrf_token": token, "all_dealers": "y",
                                                       "image": (io.BytesIO(_png()), "x.png")},
                          content_type="multipart/form-data")
    assert missing.status_code == 400 and "headline" in missing.get_data(as_text=True)
    assert read(lambda: db.session.scalar(select(func.count()).select_from(PromotionBanner))) == 0
    ok = client.post(f"{base}/banners/new", data={"csrf_token": token, "headline_en": "Spring sale",
                                                  "headline_ko": "봄맞이 할인", "link_en": "/offers", "all_dealers": "",
                                                  "dealer_ids": [str(world.ids["a1"])],
                                                  "image": (io.BytesIO(_png()), "x.png")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302, ok.get_data(as_text=True)[-1500:]
    banner_id = read(lambda: db.session.scalar(select(PromotionBanner.id)))
    client.post("/logout", data={"csrf_token": token})
    login(world.emails["principal_a1"])
    page = client.get(f"/d/{world.slugs['a1']}/").get_data(as_text=True)
    assert "Spring sale" in page or "봄맞이 할인" in page
    assert client.get(f"/d/{world.slugs['a1']}/banners/{banner_id}/image").status_code == 200
    client.post("/logout", data={"csrf_token": token})
    login(world.emails["principal_a2"])  # not a target dealer
    assert "Spring sale" not in client.get(f"/d/{world.slugs['a2']}/").get_data(as_text=True)
    assert client.get(f"/d/{world.slugs['a2']}/banners/{banner_id}/image").status_code == 404


BANNER_EDGES = [  # schedule 2026-04-01 09:00 → 2026-04-02 09:00 Seoul = 00:00Z → next day 00:00Z
    ("2026-03-31 23:59:59", False), ("2026-04-01 00:00:00", True), ("2026-04-01 23:59:59", True),
    ("2026-04-02 00:00:00", False),
]


@pytest.mark.parametrize("now,shown", BANNER_EDGES)
def test_active_banners_schedule_edges(app, world, make, read, now, shown):
    make(cf.banner, world.ids["brand_a"], starts_at=cf.local("2026-04-01 09:00"), ends_at=cf.local("2026-04-02 09:00"))
    make(cf.banner, world.ids["brand_b"])  # another brand's banner never shows

    def banners():
        dealer = db.session.get(Dealer, world.ids["a1"])
        return service.active_banners(db.session, dealer, _utc(now))

    assert (len(read(banners)) == 1) is shown
