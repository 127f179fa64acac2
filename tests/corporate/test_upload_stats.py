"""The distributor's upload error statistics per dealer, limited to the brand's own dealers."""

from __future__ import annotations

from app.extensions import db
from app.models.inventory import ImportBatch, ImportStatus
from app.tenancy import all_tenants


def _batch(dealer_id, status, rows, created, rejected, errors=0):
    db.session.add(
        ImportBatch(dealer_id=dealer_id, file_name="stock.csv", status=status, total_rows=rows, created_count=created,
                    rejected_count=rejected, error_count=errors)
    )


def test_stats_per_dealer_of_the_brand_only(app, client, login, world):
    with app.app_context(), all_tenants():
        _batch(world.ids["a1"], ImportStatus.COMMITTED, 200, 150, 50, errors=60)
        _batch(world.ids["a1"], ImportStatus.PREVIEWED, 100, 0, 10, errors=10)
        _batch(world.ids["a1"], ImportStatus.UPLOADED, 999, 0, 999)  # not finished: not counted
        _batch(world.ids["a2"], ImportStatus.FAILED, 0, 0, 0)
        _batch(world.ids["b1"], ImportStatus.COMMITTED, 77777, 0, 77777)  # another brand's dealer
        db.session.commit()
    login(world.emails["corp_a"])
    page = client.get(f"/c/{world.slugs['brand_a']}/reports/uploads")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # A1: 2 imports, 300 rows, 60 rejected → 20.0 %
    assert "Dealer A1" in html and "20.0%" in html and ">300<" in html
    assert "Dealer A2" in html
    assert "77,777" not in html and "Dealer B1" not in html


def test_dealer_users_cannot_see_the_report(client, login, world):
    login(world.emails["principal_a1"])
    assert client.get(f"/c/{world.slugs['brand_a']}/reports/uploads").status_code == 404
