"""The admin home's context: which shop, which role, which tiles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest

from analytics.access import shop_choice, user_role
from analytics.dashboard import dashboard_tiles
from shops.selectors import shops_for_user


def dashboard_context(request: HttpRequest, *, now: datetime) -> dict[str, Any]:
    """The dashboard of the shop the user chose (``?shop=``) or belongs to, with the tiles of their role there."""
    shop = shop_choice(user=request.user, requested=request.GET.get("shop"))
    if shop is None:
        return {"dashboard_shop": None, "tiles": []}
    role = user_role(user=request.user, shop=shop) or ""
    return {
        "dashboard_shop": shop,
        "dashboard_role": role,
        "dashboard_shops": shops_for_user(user=request.user).order_by("name", "pk")[:50],
        "tiles": dashboard_tiles(shop=shop, role=role, now=now),
    }
