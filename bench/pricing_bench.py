"""Benchmark the pricing engine: p50/p95 of pricing typical offers 2,000 times each.

Run from the repository root: ``.venv/bin/python bench/pricing_bench.py``. Pure domain code, no
database: the figures are the engine's share of the re-price endpoint (goal: well under 5 ms).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.pricing import FinancePayment, PricingInput, price_offer  # noqa: E402
from tests.domain.pricing.test_examples import SEOUL_INPUT, TORONTO_INPUT, bangkok_input  # noqa: E402

RUNS = 2000


def measure(name: str, pricing: PricingInput) -> None:
    """Price ``pricing`` RUNS times (after a warm-up) and print p50/p95/max in milliseconds."""
    for _ in range(50):
        price_offer(pricing)
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        price_offer(pricing)
        timings.append((time.perf_counter() - start) * 1000)
    quantiles = statistics.quantiles(timings, n=100)
    print(f"{name:<58} p50 {quantiles[49]:6.3f} ms   p95 {quantiles[94]:6.3f} ms   max {max(timings):6.3f} ms")


def main() -> None:
    """Print the figures for a cash offer, one loan, and a loan with three scenarios."""
    print(f"pricing engine, {RUNS} runs each")
    measure("Seoul: configured car, 3 promotions, preset, manual, cash", SEOUL_INPUT)
    measure("Toronto: stock car, trade-in, floor clamp, one 60-month loan", TORONTO_INPUT)
    measure("Bangkok: coupon, APR subvention, two 48/60-month loans", bangkok_input())
    three = tuple(
        FinancePayment(term_months=term, down_payment=Decimal("2000.00"), apr_percent=Decimal("7.99"))
        for term in (36, 48, 60)
    )
    measure("Toronto with three loan scenarios (36/48/60 months)", replace(TORONTO_INPUT, payments=three))


if __name__ == "__main__":
    main()
