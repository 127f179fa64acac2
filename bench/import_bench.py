"""Benchmark the stock import: 10,000 rows shaped like the Kijiji export, dry run and commit.

Usage::

    python bench/import_bench.py [--rows 10000] [--database-url postgresql+psycopg://...]

Always runs on a fresh SQLite file; also on PostgreSQL when ``--database-url`` or
``TEST_DATABASE_URL`` is given (the database's ``public`` schema is dropped and rebuilt!).
Prints rows per second and peak Python memory (tracemalloc) for the dry run and the commit.
Goal (issue 5): 10,000 rows in under 10 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from app.domain.vin import compute_check_digit  # noqa: E402

KIJIJI = Path(__file__).resolve().parents[1] / "app" / "demo" / "data" / "kijiji_listings_2019.csv"
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def generate(rows: int, seed: int = 2019) -> bytes:
    """Return a CSV of ``rows`` rows sampled from the real file, with fresh valid VINs on most of them.

    Shape kept from the export: the same columns and values, ~45% rows without a VIN, ~2% exact
    duplicates, zero prices as they occur.
    """
    rng = random.Random(seed)
    with KIJIJI.open(newline="", encoding="utf-8") as handle:
        source = list(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(source[0]))
    writer.writeheader()
    previous = None
    for n in range(rows):
        if previous is not None and rng.random() < 0.02:
            writer.writerow(previous)
            continue
        row = dict(rng.choice(source))
        if rng.random() < 0.45:
            row["vin_number"] = rng.choice(["", "null"])
        else:
            body = "1" + "".join(rng.choice(_VIN_CHARS) for _ in range(9)) + f"{n:07d}"
            body = body[:9] + "K" + body[10:]  # model-year code 2019
            row["vin_number"] = body[:8] + compute_check_digit(body) + body[9:]
            row["model"] = row["model"] or "Other"
        writer.writerow(row)
        previous = row
    return out.getvalue().encode("utf-8")


def run(database_url: str, data: bytes, label: str, *, memory: bool) -> None:
    """Migrate ``database_url``, create a dealer, run a dry run and a commit of ``data``.

    ``memory=False`` measures time; ``memory=True`` measures the peak with tracemalloc (which
    slows Python down several times, so its timings are not reported).
    """
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.inventory_import import import_file
    from app.tenancy import scoped
    from tests import factories

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        if database_url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        brand = factories.brand(country="CA", default_locale="en", currency="CAD", timezone="America/Toronto")
        dealer = factories.dealer(brand)
        dealer_id, brand_id = dealer.id, brand.id
        db.session.commit()
        with scoped(dealer_id=dealer_id, brand_id=brand_id):
            dealer = db.session.get(type(dealer), dealer_id)
            for dry_run in (True, False):
                if memory:
                    tracemalloc.start()
                started = time.perf_counter()
                report = import_file(db.session, dealer, data, "bench.csv", dry_run=dry_run)
                db.session.commit()
                elapsed = time.perf_counter() - started
                phase = "dry run" if dry_run else "commit "
                if memory:
                    _current, peak = tracemalloc.get_traced_memory()
                    tracemalloc.stop()
                    print(f"{label:<10} {phase} {report.total_rows:>6} rows  peak memory {peak / 2**20:6.1f} MB (tracemalloc)")
                else:
                    print(
                        f"{label:<10} {phase} {report.total_rows:>6} rows {elapsed:6.2f} s "
                        f"{report.total_rows / elapsed:8.0f} rows/s  "
                        f"(created {report.created}, duplicates {report.duplicates}, rejected {report.rejected})"
                    )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    data = generate(args.rows)
    print(f"Generated {args.rows} rows ({len(data) / 2**20:.1f} MB) shaped like {KIJIJI.name}")
    for memory in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.db", data, "SQLite", memory=memory)
        if args.database_url:
            run(args.database_url, data, "PostgreSQL", memory=memory)


if __name__ == "__main__":
    main()
