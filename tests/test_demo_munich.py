"""The demo's European market: the Munich dealer rounds its 19 % VAT per line and prices its EUR cars that way."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.domain.taxes import TaxRounding, apply_fee_tax_table
from app.extensions import db
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.services import dealer_settings
from app.tenancy import all_tenants, scoped


def test_munich_demo_dealer_rounds_vat_per_line(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "principal.munich@forecourt.example" in result.output
    with app.app_context(), all_tenants():
        munich = db.session.scalar(select(Dealer).where(Dealer.slug == "munich-schwabing"))
        assert (munich.country, munich.currency, munich.locale) == ("DE", "EUR", "de")
        with scoped(dealer_id=munich.id, brand_id=munich.brand_id):
            table = dealer_settings.fee_tax_table_for(db.session, munich)
            prices = sorted(c.price for c in db.session.scalars(select(StockVehicle)))
    assert table.rounding is TaxRounding.PER_LINE
    assert prices == [Decimal("44990.00"), Decimal("56400.00")]
    # The Tucson at 44,990.00 with Überführung 999.00 and Zulassung 30.00:
    # 44,990 × 19 = 854,810; / 119 = 7,183.277… → 7,183.28 (net 37,806.72); 999 → 159.50 (839.50); 30.00 untaxed.
    fee_tax = apply_fee_tax_table(table, {"vehicle": prices[0]})
    assert [(t.line_id, str(t.net), str(t.tax)) for t in fee_tax.line_taxes] == [
        ("vehicle", "37806.72", "7183.28"), ("fee:TRANSFER", "839.50", "159.50"), ("fee:REG", "30.00", "0.00"),
    ]
    assert fee_tax.total_included_tax == Decimal("7342.78")
