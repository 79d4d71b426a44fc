"""Public views of the notifications app: the unsubscribe page (GET confirms, POST unsubscribes)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.models import SuppressionReason
from notifications.rendering import brand_colours
from notifications.unsubscribe import suppression_add, unsubscribe_token_parse
from shops.languages import language_or_default
from shops.models import Shop


# The signed token is the only credential, so CSRF protection adds nothing here; and RFC 8058's
# one-click POST comes from the mail client, which has no CSRF cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button (link scanners must not unsubscribe anyone); POST unsubscribes."""
    parsed = unsubscribe_token_parse(token=token)
    shop = Shop.objects.filter(pk=parsed[0]).first() if parsed else None
    if parsed is None or shop is None:
        context = {"valid": False, "language": "en", "brand": {"font_stack": "sans-serif"}}
        return render(request, "emails/unsubscribe_page.html", context, status=404)
    email = parsed[1]
    done = request.method == "POST"
    if done:
        suppression_add(shop_id=shop.pk, email=email, reason=SuppressionReason.UNSUBSCRIBED)
    language = language_or_default(getattr(request, "LANGUAGE_CODE", None) or shop.locale)
    context = {
        "valid": True,
        "done": done,
        "shop": shop,
        "email": email,
        "language": language,
        "brand": brand_colours(shop),
    }
    response = render(request, "emails/unsubscribe_page.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
