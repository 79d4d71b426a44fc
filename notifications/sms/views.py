"""Public views of the SMS channel: gateways' delivery reports and replies, and the customer's preferences page."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.rendering import brand_colours
from notifications.sms.gateway import report_credentials
from notifications.sms.preferences import (
    ContactPreferences,
    order_for_preferences_token,
    preferences_of,
    preferences_update,
)
from notifications.sms.providers import SMS_PROVIDERS
from notifications.sms.reports import (
    sms_reply_record,
    sms_report_record,
    smsapi_reports_parse,
    twilio_report_parse,
    twilio_signature_valid,
)
from shops.languages import language_or_default

logger = logging.getLogger(__name__)


# The gateway authenticates with the token in the URL (and Twilio with its signature); it has no CSRF cookie.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def sms_report(request: HttpRequest, provider: str, token: str) -> HttpResponse:
    """Delivery reports and replies (STOP) from the platform's or one shop's gateway account."""
    account = report_credentials(provider=provider, token=token)
    if account is None:
        raise Http404
    shop_id, credentials = account
    esp_name = SMS_PROVIDERS[provider].label
    if provider == "twilio":
        url = f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
        signature = request.headers.get("X-Twilio-Signature", "")
        params = {key: request.POST.getlist(key) for key in request.POST}
        if not twilio_signature_valid(
            auth_token=credentials.get("auth_token", ""), url=url, params=params, signature=signature
        ):
            logger.warning("Twilio report with a bad signature for %s", "a shop" if shop_id else "the platform")
            return HttpResponseForbidden("Bad signature")
        fields = {key: request.POST.get(key, "") for key in request.POST}
        report = twilio_report_parse(fields)
        if report is not None:
            sms_report_record(report=report, esp_name=esp_name, shop_id=shop_id)
        elif fields.get("Body") is not None and fields.get("From"):
            sms_reply_record(sender=fields["From"], text=fields["Body"], shop_id=shop_id)
        return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml")
    fields = {key: value for key, value in {**request.GET.dict(), **request.POST.dict()}.items()}
    if fields.get("sms_from") and "sms_text" in fields:  # SMSAPI's callback for a reply (MO)
        sms_reply_record(sender=fields["sms_from"], text=fields["sms_text"], shop_id=shop_id)
    for report in smsapi_reports_parse(fields):
        sms_report_record(report=report, esp_name=esp_name, shop_id=shop_id)
    return HttpResponse("OK", content_type="text/plain")  # SMSAPI resends until it reads OK


# The unguessable token is the only credential (as for unsubscribe links); the page must work from any phone.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's contact preferences for one order: email and SMS, service and marketing."""
    order = order_for_preferences_token(token=token)
    language = language_or_default(getattr(request, "LANGUAGE_CODE", None) or "en")
    if order is None:
        context = {"valid": False, "language": language, "brand": {"font_stack": "sans-serif"}}
        return render(request, "notifications/preferences_page.html", context, status=404)
    saved = request.method == "POST"
    if saved:
        preferences_update(
            order=order,
            preferences=ContactPreferences(
                email_service=request.POST.get("email_service") == "on",
                email_marketing=request.POST.get("email_marketing") == "on",
                sms_service=request.POST.get("sms_service") == "on",
                sms_marketing=request.POST.get("sms_marketing") == "on",
            ),
        )
        order.refresh_from_db()
    context = {
        "valid": True,
        "saved": saved,
        "shop": order.shop,
        "order_number": order.number,
        "has_email": bool(order.customer_email),
        "has_phone": bool(order.customer_phone),
        "preferences": preferences_of(order=order),
        "language": language_or_default(order.effective_locale),
        "brand": brand_colours(order.shop),
    }
    with translation.override(context["language"]):
        response = render(request, "notifications/preferences_page.html", context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
