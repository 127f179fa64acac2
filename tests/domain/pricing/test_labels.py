"""Payment labels: the engine codes the standard ones; ``payment_label`` words them or keeps stored text."""

from __future__ import annotations

from decimal import Decimal

from app.domain.pricing import CashPayment, FinancePayment, payment_label, price_offer
from app.domain.pricing.labels import CASH_LABEL, FINANCE_LABEL
from tests.domain.pricing.test_rules import toronto

D = Decimal


def test_old_snapshots_and_custom_labels_keep_their_stored_text():
    def shout(text: str) -> str:  # a "translation" that is easy to recognise, placeholders kept
        return "«" + text + "»"

    old = {"kind": "finance", "label": "Finance 60 months", "term_months": 60}  # saved before codes existed
    assert payment_label(old, shout) == "Finance 60 months"
    assert payment_label({"label": "ผ่อน 60 เดือน", "label_code": "", "label_params": {}}, shout) == "ผ่อน 60 เดือน"
    assert payment_label({"label": "Finance 60 months", "label_code": FINANCE_LABEL, "label_params": {"months": 60}},
                         shout) == "«Finance 60 months»"
    assert payment_label({"label": "x", "label_code": FINANCE_LABEL, "label_params": {}}, shout) == "x"
    assert payment_label({"label": "Cash", "label_code": CASH_LABEL}, shout) == "«Cash»"
    assert payment_label({"label": "Other", "label_code": "unknown", "label_params": {"months": 1}}, shout) == "Other"


def test_engine_codes_standard_labels_only():
    priced = price_offer(toronto(payments=(
        CashPayment(), CashPayment("Pay at pickup"),
        FinancePayment(term_months=36, down_payment=D("1000.00"), apr_percent=D("5")),
        FinancePayment(term_months=36, down_payment=D("1000.00"), apr_percent=D("5"), label="Dealer special"))))
    cash, custom_cash, finance, custom = priced.payments
    assert (cash.label, cash.label_code) == ("Cash", CASH_LABEL)
    assert (custom_cash.label, custom_cash.label_code) == ("Pay at pickup", "")
    assert (finance.label, finance.label_code, dict(finance.label_params)) == ("Finance 36 months", FINANCE_LABEL,
                                                                                {"months": 36})
    assert (custom.label, custom.label_code, dict(custom.label_params)) == ("Dealer special", "", {})


# --- customer-facing line labels (issue 11) -------------------------------------------------------------------


def test_customer_line_labels_name_what_the_customer_reads():
    from app.domain.pricing.labels import customer_line_label

    def ko(text: str) -> str:
        return {"Additional discount": "추가 할인"}.get(text, text)

    stock = {"source": "stock", "model_year": 2019, "make": "Hyundai", "model": "Tucson", "trim": "Limited|NAVI|ROOF"}
    assert customer_line_label({"kind": "manual_discount", "label": "Manual discount"}, ko) == "추가 할인"
    assert customer_line_label({"kind": "vehicle", "label": "2019 Hyundai Tucson Limited|NAVI|ROOF"}, ko, stock) \
        == "2019 Hyundai Tucson Limited"
    assert customer_line_label({"kind": "vehicle", "label": "Tucson Inspiration"}, ko, {"source": "catalog"}) \
        == "Tucson Inspiration"
    for kind, label in (("promotion", "Spring bonus"), ("dealer_discount", "재구매 고객 할인"), ("fee", "탁송료"),
                        ("option", "Sunroof")):
        assert customer_line_label({"kind": kind, "label": label}, ko, stock) == label


def test_unique_promotions_lists_each_promotion_once_in_order():
    from app.domain.pricing.labels import unique_promotions

    applied = [{"promotion_id": 7, "name": "IONIQ 5 low-rate finance"}, {"promotion_id": 3, "name": "Spring"},
               {"promotion_id": 7, "name": "IONIQ 5 low-rate finance"}, {"promotion_id": None, "code": "X", "name": "X"}]
    assert [p["name"] for p in unique_promotions(applied)] == ["IONIQ 5 low-rate finance", "Spring", "X"]
