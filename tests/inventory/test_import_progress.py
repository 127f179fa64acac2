"""Import progress: rows read of total, written by the job in its own short transactions, shown while polling."""

from __future__ import annotations

import io
import os

import pytest
from flask import current_app
from flask_migrate import upgrade
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.imports.readers import read_table
from app.models.inventory import ImportBatch, ImportStatus, StockVehicle
from app.services.inventory_import import mapping_to_dict, remembered_mapping
from app.services.inventory_jobs import COMMIT, DRY_RUN, BatchProgress, run_import_batch
from app.services.storage import get_storage
from app.tenancy import scoped
from tests import factories
from tests.conftest import fresh_app
from tests.inventory.test_routes import HEADER, _base

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "migrations")


def _rows_csv(n: int) -> bytes:
    """``n`` used Hondas keyed by stock number (no VIN), a blank line in the middle that is not a row."""
    lines = [f",S-{i:05d},Honda,Accord,2015,{10000 + i},5000,Used," for i in range(n)]
    lines.insert(n // 2, ",,,,,,,,")
    return (HEADER + "\n".join(lines) + "\n").encode()


def _queued_batch(data: bytes, dealer_id: int, brand_id: int, name: str = "stock.csv") -> int:
    """Store ``data`` and create a queued batch with the suggested mapping (what the mapping step leaves)."""
    with scoped(dealer_id=dealer_id, brand_id=brand_id):
        table = read_table(data, name)
        batch = ImportBatch(file_name=name, file_format=table.format.value, encoding=table.encoding,
                            file_key=get_storage(current_app.config).save(data, area="imports", extension="bin"),
                            mapping=mapping_to_dict(remembered_mapping(db.session, table.header)),
                            status=ImportStatus.QUEUED)
        db.session.add(batch)
        db.session.commit()
        return batch.id


def _read_progress(batch_id: int, dealer_id: int, brand_id: int) -> tuple[ImportStatus, int, int | None]:
    """Read the batch as the polling request would: a session of its own."""
    session = db.session.session_factory()
    try:
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            row = session.get(ImportBatch, batch_id)
            return row.status, row.progress_rows, row.progress_total
    finally:
        session.close()


def test_count_rows_agrees_with_rows_for_each_format():
    csv_table = read_table(_rows_csv(7), "stock.csv")
    assert csv_table.count_rows() == len(list(csv_table.rows())) == 7
    xml = (b"<?xml version='1.0'?><inventory>" + b"".join(
        f"<vehicle><stock>S-{i}</stock><make>Kia</make></vehicle>".encode() for i in range(5))
        + b"<vehicle><stock></stock><make></make></vehicle></inventory>")
    xml_table = read_table(xml, "stock.xml")
    assert xml_table.count_rows() == len(list(xml_table.rows())) == 5
    book = Workbook()
    sheet = book.active
    sheet.append(["stock", "make"])
    for i in range(4):
        sheet.append([f"S-{i}", "Kia"])
        sheet.append([None, None])
    out = io.BytesIO()
    book.save(out)
    xlsx_table = read_table(out.getvalue(), "stock.xlsx")
    assert xlsx_table.count_rows() == len(list(xlsx_table.rows())) == 4


def test_job_records_progress_as_it_reads_the_rows(app, world):
    dealer_id, brand_id = world.ids["a1"], world.ids["brand_a"]
    with app.app_context():
        batch_id = _queued_batch(_rows_csv(1250), dealer_id, brand_id)
        seen: list[tuple[int, int, ImportStatus, int, int | None]] = []

        def observe(rows: int, total: int) -> None:
            # What another session (the polling page) reads while the job is still running.
            seen.append((rows, total, *_read_progress(batch_id, dealer_id, brand_id)))

        assert run_import_batch(batch_id, dealer_id, brand_id, DRY_RUN, on_progress=observe) == "previewed"
        # Counted first (0 of 1,250), every 500 rows, and when every row is read.
        assert [(rows, total) for rows, total, *_ in seen] == [(0, 1250), (500, 1250), (1000, 1250), (1250, 1250)]
        assert all(status is ImportStatus.RUNNING and (stored_rows, stored_total) == (rows, total)
                   for rows, total, status, stored_rows, stored_total in seen)
        assert _read_progress(batch_id, dealer_id, brand_id) == (ImportStatus.PREVIEWED, 1250, 1250)

        seen.clear()
        assert run_import_batch(batch_id, dealer_id, brand_id, COMMIT, on_progress=observe) == "committed"
        assert seen[0][:2] == (0, 1250) and seen[-1][:2] == (1250, 1250) and len(seen) == 4
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            batch = db.session.get(ImportBatch, batch_id)
            assert (batch.total_rows, batch.created_count, batch.progress_rows, batch.progress_total) == (
                1250, 1250, 1250, 1250)
            assert db.session.scalar(select(func.count()).select_from(StockVehicle)) == 1250


def test_a_failed_progress_write_never_fails_the_import(app, world):
    dealer_id, brand_id = world.ids["a1"], world.ids["brand_a"]
    with app.app_context():
        progress = BatchProgress(10**9, dealer_id, brand_id)  # no such batch: the UPDATE touches nothing
        progress(1, 2)
        assert not progress.broken and progress.last == (1, 2)
        broken = BatchProgress("not-an-id", dealer_id, brand_id)  # type: ignore[arg-type]
        broken(1, 2)  # the database refuses the statement (PostgreSQL) or matches nothing (SQLite): no exception
        broken(2, 2)


def test_polling_panel_shows_rows_of_total(app, client, login, world):
    dealer_id, brand_id = world.ids["a1"], world.ids["brand_a"]
    with app.app_context(), scoped(dealer_id=dealer_id, brand_id=brand_id):
        batch = ImportBatch(file_name="stock.csv", file_key="imports/x.bin", status=ImportStatus.RUNNING,
                            phase=DRY_RUN)
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    login(world.emails["principal_a1"])
    url = f"{_base(world)}/import/{batch_id}"

    def panel(rows: int, total: int | None) -> str:
        with app.app_context(), scoped(dealer_id=dealer_id, brand_id=brand_id):
            row = db.session.get(ImportBatch, batch_id)
            row.progress_rows, row.progress_total = rows, total
            db.session.commit()
        return client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)

    waiting = panel(0, None)
    assert 'hx-trigger="every 1s"' in waiting and "<progress aria-label" in waiting and " of " not in waiting
    running = panel(1200, 3145)
    assert '<progress value="1200" max="3145"' in running and "1,200 of 3,145 rows" in running
    assert 'hx-trigger="every 1s"' in running and "<html" not in running
    assert "All 3,145 rows read; finishing…" in panel(3145, 3145)
    assert "1,200 of 3,145 rows" in panel(1200, 3145) and "<html" in client.get(url).get_data(as_text=True)


@pytest.mark.no_db
def test_progress_is_visible_to_other_connections_on_a_sqlite_file(app, tmp_path):
    """No shared test connection here: a real SQLite file, the job's session and a separate connection.

    The job holds no transaction while it reads rows, so each progress write commits at once (no
    "database is locked") and another connection reads it while the job is still running.
    """
    uri = f"sqlite:///{tmp_path / 'progress.db'}"
    with fresh_app(app, SQLALCHEMY_DATABASE_URI=uri, UPLOAD_DIR=str(tmp_path / "uploads")) as other:
        with other.app_context():
            upgrade(directory=MIGRATIONS)
            dealer = factories.dealer(factories.brand())
            dealer_id, brand_id = dealer.id, dealer.brand_id
            db.session.commit()
            batch_id = _queued_batch(_rows_csv(1100), dealer_id, brand_id)
            seen = []

            def observe(rows: int, total: int) -> None:
                with db.engine.connect() as connection:  # another connection of the pool
                    stored = connection.execute(
                        select(ImportBatch.progress_rows, ImportBatch.progress_total, ImportBatch.status)
                        .where(ImportBatch.id == batch_id)).one()
                seen.append(((rows, total), (stored[0], stored[1]), stored[2]))

            assert run_import_batch(batch_id, dealer_id, brand_id, COMMIT, on_progress=observe) == "committed"
            assert [s[0] for s in seen] == [(0, 1100), (500, 1100), (1000, 1100), (1100, 1100)]
            assert all(wrote == stored and status == ImportStatus.RUNNING for wrote, stored, status in seen)
            with scoped(dealer_id=dealer_id, brand_id=brand_id):
                assert db.session.scalar(select(func.count()).select_from(StockVehicle)) == 1100
            db.session.remove()
