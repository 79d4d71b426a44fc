"""Learned delivery estimates benchmark (run by hand, not in CI): accuracy on held-out generated histories.

    .venv/bin/python bench/estimates/run.py [--train 400] [--test 2000] [--seed 15]

For each generated lane (a known distribution of transit times in business days), ``--train``
deliveries make the lane's histogram; ``--test`` held-out parcels, first scanned on random business
days of 2026, are estimated with ``analytics.estimates.window_from_histogram`` (the code the tracking
page and emails use) at their first scan, and again one business day later while still on their way.
Prints per lane the share delivered by "latest" (target >= 90%), the window earliest..latest in
business days (target <= 2 for a typical lane), the mean absolute error of "likely", and the
estimator's speed against a baseline of a bare histogram percentile, in the bench format.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# carrier, destination country, {business days: weight}; the last one is a wide, untypical lane.
LANES = [
    ("inpost", "PL", {1: 62, 2: 30, 3: 6, 4: 2}),
    ("dpd", "PL", {1: 48, 2: 35, 3: 12, 4: 4, 6: 1}),
    ("dhl", "DE", {2: 40, 3: 42, 4: 14, 6: 4}),
    ("packeta", "CZ", {1: 20, 2: 55, 3: 20, 5: 5}),
    ("poczta_polska", "PL", {1: 25, 2: 30, 3: 20, 4: 12, 5: 8, 8: 5}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=400)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=15)
    options = parser.parse_args()

    import django

    django.setup()
    from analytics.estimates import LATEST_Q, window_from_histogram
    from shipments.lanes import histogram_percentile
    from shipments.models import LANE_HISTOGRAM_TOP
    from shops.calendar import add_business_days, business_days_between, is_business_day

    rng = random.Random(options.seed)
    days_2026 = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    total_hits = total = 0
    timings: list[float] = []
    baseline_timings: list[float] = []
    for carrier, country, weights in LANES:
        calendar = {"country": country, "carrier": carrier}
        population, weight = list(weights), list(weights.values())
        histogram = [0] * (LANE_HISTOGRAM_TOP + 1)
        for days in rng.choices(population, weight, k=options.train):
            histogram[days] += 1
        scan_days = [day for day in days_2026 if is_business_day(day, **calendar)]
        hits = rehits = errors = 0
        windows = []
        for _ in range(options.test):
            scanned = rng.choice(scan_days)
            actual = add_business_days(scanned, rng.choices(population, weight)[0], **calendar)
            started = time.perf_counter()
            earliest, likely, latest = window_from_histogram(histogram, start=scanned, today=scanned, **calendar)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            histogram_percentile(histogram, LATEST_Q)
            baseline_timings.append(time.perf_counter() - started)
            hits += actual <= latest
            errors += abs(business_days_between(likely, actual, **calendar))
            windows.append(business_days_between(earliest, latest, **calendar))
            next_day = add_business_days(scanned, 1, **calendar)
            if actual > next_day:  # still on its way the next business day: re-estimated then
                _, _, later = window_from_histogram(histogram, start=scanned, today=next_day, **calendar)
                rehits += actual <= later
            else:
                rehits += 1
        total_hits += hits
        total += options.test
        window = statistics.median(windows)
        print(
            f"estimates {carrier}->{country}: delivered by latest {hits / options.test:.1%} (target >= 90%), "
            f"re-estimated a day later {rehits / options.test:.1%}, window {window:.0f} business days "
            f"(target <= 2), mean error {errors / options.test:.2f} business days"
        )
    pipeline = 1 / statistics.median(timings)
    baseline = 1 / statistics.median(baseline_timings)
    print(
        f"estimates overall: delivered by latest {total_hits / total:.1%} over {total} held-out parcels (target >= 90%)"
    )
    print(
        f"estimates: pipeline {pipeline:,.0f}/s, baseline {baseline:,.0f}/s, ratio {pipeline / baseline:.3f} "
        "(target: none, the baseline is a bare percentile lookup)"
    )


if __name__ == "__main__":
    main()
