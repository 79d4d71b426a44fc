"""Serve a shop's tracking pages on its own domain, chosen by the Host header."""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

from shops.selectors import shop_for_host

HOST_CACHE_SECONDS = 60
# Paths a custom domain never serves: the admin, staff pages and the API belong on the platform's own host.
_PLATFORM_ONLY = ("/admin/", "/api/", "/staff/")


class PortalHostMiddleware:
    """Sets ``request.portal_shop_id``: the shop whose custom domain the request came to, or None.

    The platform's own host (``PUBLIC_BASE_URL``) costs nothing; other hosts are looked up once a
    minute per host through the cache, so a busy page never pays a query for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.platform_host = (urlsplit(settings.PUBLIC_BASE_URL).hostname or "").lower()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal_shop_id = self.shop_id_for(request.get_host())  # type: ignore[attr-defined]
        if request.portal_shop_id is not None:  # type: ignore[attr-defined]
            if request.path.startswith(_PLATFORM_ONLY):
                raise Http404
            if request.path == "/":
                return HttpResponseRedirect("/track")
        return self.get_response(request)

    def shop_id_for(self, host: str) -> int | None:
        hostname = host.split(":", 1)[0].lower().rstrip(".")
        if not hostname or hostname == self.platform_host or hostname in ("localhost", "127.0.0.1", "testserver"):
            return None
        key = f"tp:host:{hostname}"
        shop_id = cache.get(key)
        if shop_id is None:
            shop = shop_for_host(host=hostname)
            shop_id = shop.pk if shop is not None else 0
            cache.set(key, shop_id, timeout=HOST_CACHE_SECONDS)
        return shop_id or None
