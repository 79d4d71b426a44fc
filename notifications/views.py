"""Public views of the notifications app: the unsubscribe page and a shop's own ESP tracking webhook."""

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.esp_events import message_event_record
from notifications.models import NotificationSettings, SuppressionReason
from notifications.rendering import brand_colours
from notifications.shop_esp import shop_esp_webhook_view
from notifications.unsubscribe import suppression_add, unsubscribe_token_parse
from shops.languages import language_or_default
from shops.models import Shop

logger = logging.getLogger(__name__)

SHOP_WEBHOOK_USER = "parcelfront"


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


def shop_esp_webhook_url(*, conf: NotificationSettings) -> str:
    """The tracking webhook URL a shop enters at its own ESP, its basic-auth secret included."""
    path = reverse("notifications:shop_esp_tracking", args=[conf.esp_provider, conf.esp_webhook_token])
    scheme, _, host = settings.PUBLIC_BASE_URL.partition("://")
    return f"{scheme}://{SHOP_WEBHOOK_USER}:{conf.esp_webhook_secret}@{host}{path}"


# The ESP authenticates with the shop's own basic-auth secret (and signature, where the ESP signs); no cookie.
@csrf_exempt
@require_http_methods(["POST", "HEAD"])
def shop_esp_tracking(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """Tracking events from a shop's own ESP account: they may only speak about that shop's messages."""
    conf = NotificationSettings.objects.filter(esp_webhook_token=token, esp_provider=provider).first()
    if conf is None:
        raise Http404
    view = shop_esp_webhook_view(
        provider=provider, options=conf.esp_secret_options, basic_auth=f"{SHOP_WEBHOOK_USER}:{conf.esp_webhook_secret}"
    )
    if request.method == "HEAD":  # some ESPs probe the URL when it is configured
        return HttpResponse()
    view.run_validators(request)  # a wrong secret or signature raises SuspiciousOperation: HTTP 400
    for event in view.parse_events(request):
        message_event_record(event=event, esp_name=view.esp_name, shop_id=conf.shop_id)
    return HttpResponse()
