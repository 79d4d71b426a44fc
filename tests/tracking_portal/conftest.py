"""Every tracking-portal test starts with an empty page cache and no buffered page views."""

import pytest
from django.core.cache import cache

from tracking_portal.pages import local_pages, recent_keys
from tracking_portal.services import page_views_flush


@pytest.fixture(autouse=True)
def _fresh_portal_state(db, settings):
    # Tests see every version change at once; test_page.py covers the one-second reuse separately.
    settings.TRACKING_PORTAL_KEY_SECONDS = 0
    cache.clear()
    local_pages.clear()
    recent_keys.clear()
    page_views_flush()
    yield
    # Write buffered views while this test's database still exists, so none leak into the next test.
    page_views_flush()
    cache.clear()
    local_pages.clear()
