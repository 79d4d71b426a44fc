"""The browser fixtures of the tracking page's tests (Debian's Chromium, a page that watches its requests)."""

from tests.tracking_portal.test_browser import browser, watched_page  # noqa: F401
