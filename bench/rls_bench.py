"""Benchmark the row-level security settings (``app/rls.py``): what keeping them in step costs a statement.

Usage::

    python bench/rls_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test [--statements 2000] [--rounds 5]

Needs no schema (it runs ``SELECT 1``). Three runs of the same statements in one transaction: without the
listener; with it, in one unchanged scope (the usual request: a comparison, no extra round trip); and with
the scope changing before every statement (worst case: one ``set_config`` round trip each). Prints the
best wall time and client CPU time per statement in microseconds (CPU is what a loaded machine cannot blur).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from app import rls  # noqa: E402
from app.tenancy import scoped  # noqa: E402


def _run(engine, statements: int, *, flip: bool) -> tuple[float, float]:
    """Return (wall, client CPU) microseconds per statement."""
    with engine.connect() as connection, connection.begin():
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(statements):
            dealer = (n % 2 + 1) if flip else 1
            with scoped(dealer_id=dealer, brand_id=1):
                connection.execute(text("SELECT 1"))
        return ((time.perf_counter() - wall) / statements * 1e6, (time.process_time() - cpu) / statements * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("a PostgreSQL --database-url is required")
    engine = create_engine(args.database_url)
    rls.install()
    listener = rls._before_cursor_execute
    timings: dict[str, list[tuple[float, float]]] = {"without": [], "same": [], "flipping": []}
    try:
        _run(engine, 200, flip=False)  # warm the pool and the driver
        # Interleaved rounds, best of each: a shared machine's noise hits every mode alike.
        for _ in range(args.rounds):
            event.remove(Engine, "before_cursor_execute", listener)
            timings["without"].append(_run(engine, args.statements, flip=False))
            event.listen(Engine, "before_cursor_execute", listener)
            timings["same"].append(_run(engine, args.statements, flip=False))
            timings["flipping"].append(_run(engine, args.statements, flip=True))
    finally:
        engine.dispose()
    print(f"per statement, {args.statements} statements in one transaction, best of {args.rounds} rounds"
          " (wall / client CPU):")
    base_wall, base_cpu = (min(t[i] for t in timings["without"]) for i in (0, 1))
    for key, label in (("without", "without the RLS listener"), ("same", "with it, scope unchanged"),
                       ("flipping", "with it, scope changing each")):
        wall, cpu = (min(t[i] for t in timings[key]) for i in (0, 1))
        print(f"  {label:<30} {wall:8.1f} µs (+{wall - base_wall:6.1f})  {cpu:7.1f} µs CPU (+{cpu - base_cpu:5.1f})")


if __name__ == "__main__":
    main()
