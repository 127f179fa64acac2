"""Demo-data steps of each area, run in this order by ``flask seed-demo``.

Each module named here defines ``seed(session, brands, dealers)``, idempotent, where ``brands``
and ``dealers`` map slugs to the rows created by ``app.demo.seed``.
"""

from __future__ import annotations

import importlib
import pkgutil

import app.demo as demo_package

# Order matters: dealer settings read the catalog, inventory links to catalog trims, offers use all.
ORDER = ["catalog", "dealer_settings", "customers", "inventory", "offers", "deals"]


def steps() -> list:
    """Return the ``seed`` functions of the area modules present, in ``ORDER``."""
    present = {m.name for m in pkgutil.iter_modules(demo_package.__path__)}
    return [importlib.import_module(f"app.demo.{name}").seed for name in ORDER if name in present]
