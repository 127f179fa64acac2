"""Money columns are read in the file's number dialect (issue 13 item 7): a German or Russian dealer's
``173,900`` is flagged, not stored as 173,900.00; the dialect comes from the column, the delimiter, the locale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import Dealer
from app.models.inventory import StockVehicle
from app.services.inventory_import import ImportContext, import_file
from app.tenancy import scoped
from tests import factories
from tests.inventory.factories import canadian_dealer

D = Decimal


def _dealer(country, locale, currency, timezone):
    brand = factories.brand(country=country, default_locale=locale, currency=currency, timezone=timezone)
    return factories.dealer(brand)


DEALERS = {
    "berlin": lambda: _dealer("DE", "de", "EUR", "Europe/Berlin"),
    "moscow": lambda: _dealer("RU", "ru", "RUB", "Europe/Moscow"),
    "toronto": canadian_dealer,
}


def _import(app, which, text):
    with app.app_context():
        dealer = DEALERS[which]()
        dealer_id, brand_id = dealer.id, dealer.brand_id
        db.session.commit()
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            dealer = db.session.get(Dealer, dealer_id)
            report = import_file(db.session, dealer, text.encode(), "stock.csv", dry_run=False)
            db.session.commit()
            prices = {v.stock_number: v.price for v in db.session.scalars(select(StockVehicle))}
        errors = {i.row: i.reason for i in report.issues if i.severity == "error"}
        return prices, errors


# Rows: S1 ambiguous, S2 a dot-grouped price, S3 a comma-decimal price (when the file has one).
@pytest.mark.parametrize(
    ("which", "text", "prices", "ambiguous_rows"),
    [
        # Semicolons, German headers, no proving cell: decimal comma, so "173,900" is flagged; "173.900" groups.
        ("berlin", "Bestandsnummer;Marke;Modell;Baujahr;Preis\nS1;Audi;A4;2019;173,900\nS2;Audi;A6;2020;173.900\n",
         {"S2": D("173900.00")}, [2]),
        # Commas as delimiter, but the column proves a decimal comma ("24.990,50"): same outcome.
        ("berlin", 'stock,make,model,year,price\nS1,Audi,A4,2019,"173,900"\nS3,Audi,A3,2018,"24.990,50"\n',
         {"S3": D("24990.50")}, [2]),
        # The column proves a decimal point ("25,998.00"): the German dealer's "173,900" is 173,900.00.
        ("berlin", 'stock,make,model,year,price\nS1,Audi,A4,2019,"173,900"\nS3,Audi,A3,2018,"25,998.00"\n',
         {"S1": D("173900.00"), "S3": D("25998.00")}, []),
        # Nothing in the file: the Russian locale (decimal comma) decides.
        ("moscow", 'stock,make,model,year,price\nS1,Lada,Vesta,2021,"173,900"\nS2,Lada,Niva,2020,173.900\n',
         {"S2": D("173900.00")}, [2]),
        # A Canadian (en_CA) file: a comma groups, as before; a lone "12.345" dot would be three decimals.
        ("toronto", 'stock,make,model,year,price\nS1,Kia,Soul,2019,"173,900"\nS2,Kia,Rio,2020,12.345\n',
         {"S1": D("173900.00")}, [3]),
    ],
    ids=["de-semicolon", "de-column-comma", "de-column-point", "ru-locale", "ca-locale"],
)
def test_prices_follow_the_file_dialect(app, which, text, prices, ambiguous_rows):
    stored, errors = _import(app, which, text)
    assert stored == prices
    assert sorted(errors) == ambiguous_rows
    assert all("is ambiguous" in errors[row] for row in ambiguous_rows)


@pytest.mark.parametrize(
    ("locale", "country", "expected"), [("de", "DE", "de_DE"), ("ru", "RU", "ru_RU"), ("en", "CA", "en_CA"),
                                        ("th_TH", "TH", "th_TH")],
)
def test_context_locale_from_the_dealer(locale, country, expected):
    dealer = Dealer(locale=locale, country=country, currency="EUR")
    assert ImportContext.for_dealer(dealer).locale == expected
