"""Settings for the page benchmark: the project's settings plus a URLconf with a trivial baseline view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.page.bench_urls"
DEBUG = False

# Production (PostgreSQL) keeps connections open between requests (CONN_MAX_AGE); do the same for the
# embedded SQLite database here, so the benchmark measures the page rather than reconnecting.
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405

# bench/page/run.py also measures the page with the per-process version reuse switched off (0 seconds).
TRACKING_PORTAL_KEY_SECONDS = float(os.environ.get("BENCH_KEY_SECONDS", "1.0"))  # noqa: F405
