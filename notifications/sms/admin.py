"""Admin of the SMS channel.

Who may do what (same as email): SMS settings (statuses, window, cap, sender, own gateway credentials)
owners only; SMS texts and their previews/test SMS: owners and marketers edit, support reads; the
stored SMS (outbox): everyone in the shop reads, nobody edits; opt-outs: owners manage, support may
add one (a customer asks on the phone), marketers read. Every SMS's delivery status is a Message row
(Notifications → Messages, channel SMS) with its gateway events.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from notifications.sms.content import sample_sms_facts, sms_render
from notifications.sms.gateway import SmsGatewayInvalid, sms_callback_url
from notifications.sms.gsm import sms_length
from notifications.sms.models import SMS_STATUSES, OutboxSms, SmsOptOut, SmsSettings, SmsTemplate
from notifications.sms.providers import SMS_PROVIDERS
from notifications.sms.selectors import (
    sms_cost_estimate,
    sms_sent_this_month,
    sms_settings_for,
    sms_template_body_for,
)
from notifications.sms.test_send import SmsTestRefused, sms_send_test
from notifications.sms.variables import SMS_VARIABLES, sms_template_errors
from shipments.status_texts import status_label
from shops.admin_base import ALL, OWNER_ONLY, READ, TenantScopedAdmin
from shops.languages import SUPPORTED_LANGUAGES
from shops.models import AuditAction, Role, Shop
from shops.phones import phone_normalize

EVERYONE_READS = {Role.OWNER: READ, Role.MARKETER: READ, Role.SUPPORT: READ}
TEMPLATE_EDITORS = {Role.OWNER: ALL, Role.MARKETER: ALL, Role.SUPPORT: READ}


def length_summary(text: str) -> str:
    """'143 characters, GSM-7, 1 SMS' — what the shop pays for a text."""
    length = sms_length(text)
    return f"{length.characters} characters, {length.encoding}, {length.segments} SMS ({length.per_segment}/SMS)"


@admin.register(SmsSettings)
class SmsSettingsAdmin(TenantScopedAdmin):
    role_actions = OWNER_ONLY
    audited_fields = ("provider", "secret_options")
    audit_action = AuditAction.ESP_CREDENTIALS_CHANGED
    list_display = ["shop", "enabled", "sender_name", "monthly_cap", "provider"]
    readonly_fields = ["usage", "report_url"]
    fieldsets = [
        (None, {"fields": ["shop", "enabled", "statuses", "incident_sms"]}),
        ("Texts", {"fields": ["sender_name", "transliterate"]}),
        (
            "Considerate sending",
            {
                "fields": [("window_start", "window_end")],
                "description": "The customer's local time (their country's time zone, else the shop's). "
                "SMS due outside the window wait until it opens; none is dropped.",
            },
        ),
        ("Budget", {"fields": ["monthly_cap", ("price_per_segment", "price_currency"), "usage"]}),
        (
            "Own SMS gateway (optional)",
            {
                "fields": ["provider", "secret_options", "report_url"],
                "description": "Credentials only: "
                + "; ".join(f"{spec.label}: {', '.join(spec.keys)}" for spec in SMS_PROVIDERS.values())
                + ". SMS go to the gateway's official API, never to another address.",
            },
        ),
    ]

    @admin.display(description="This month")
    def usage(self, obj: SmsSettings | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        now = timezone.now()
        sent = sms_sent_this_month(shop_id=obj.shop_id, now=now)
        segments, cost = sms_cost_estimate(conf=obj, now=now)
        return f"{sent} of {obj.monthly_cap} SMS sent, {segments} segments, about {cost} {obj.price_currency}"

    @admin.display(description="Delivery report URL (enter it at your gateway)")
    def report_url(self, obj: SmsSettings | None) -> str:
        if obj is None or obj.pk is None or not obj.provider:
            return "Shown once a gateway is saved. Reports of the platform's account need nothing from you."
        return sms_callback_url(shop=obj.shop)


class SmsTemplateForm(forms.ModelForm):
    class Meta:
        model = SmsTemplate
        fields = ["shop", "status", "language", "body"]
        widgets = {
            "status": forms.Select(choices=[(status, status_label(status, "en")) for status in SMS_STATUSES]),
            "body": forms.Textarea(attrs={"rows": 4, "cols": 80, "data-sms-preview": "1"}),
        }


@admin.register(SmsTemplate)
class SmsTemplateAdmin(TenantScopedAdmin):
    role_actions = TEMPLATE_EDITORS
    form = SmsTemplateForm
    list_display = ["status", "language", "shop", "body", "updated_at"]
    list_filter = ["status", "language"]
    change_form_template = "admin/notifications/smstemplate/change_form.html"
    change_list_template = "admin/notifications/smstemplate/change_list.html"
    fieldsets = [
        (None, {"fields": ["shop", "status", "language"]}),
        (
            "Text",
            {
                "fields": ["body"],
                "description": "Plain text with Jinja2 variables (sandboxed): "
                + ", ".join(f"{{{{ {name} }}}}" for name in SMS_VARIABLES)
                + ". The link to the customer's settings (and STOP) is added to every SMS.",
            },
        ),
    ]

    class Media:
        js = ["notifications/sms_preview.js"]

    def get_urls(self) -> list:
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_sms_preview"),
            path("previews/", self.admin_site.admin_view(self.previews_view), name="notifications_sms_previews"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """The live preview: the rendered text of a draft on sample data, its characters, encoding and segments."""
        if request.method != "POST":
            return JsonResponse({"error": "POST a draft"}, status=405)
        shop = self._shop(request, request.POST.get("shop"), "view")
        status = request.POST.get("status") or "out_for_delivery"
        language = request.POST.get("language") or shop.locale
        if status not in SMS_STATUSES or language not in SUPPORTED_LANGUAGES:
            return JsonResponse({"error": "Unknown status or language"}, status=400)
        body = request.POST.get("body", "")
        error = sms_template_errors(body=body) if body.strip() else ""
        if error:
            return JsonResponse({"error": error})
        text = self._render(shop, status, language, body)
        length = sms_length(text)
        return JsonResponse(
            {
                "text": text,
                "characters": length.characters,
                "encoding": length.encoding,
                "segments": length.segments,
                "per_segment": length.per_segment,
                "summary": length_summary(text),
            }
        )

    def previews_view(self, request: HttpRequest) -> HttpResponse:
        """Every language's SMS for one status on sample data, and 'send a test SMS to me'."""
        shops = list(self.shops_for(request, "view").order_by("name"))
        if not shops:
            raise PermissionDenied
        shop = next((item for item in shops if str(item.pk) == request.GET.get("shop")), shops[0])
        status = request.GET.get("status") or "out_for_delivery"
        if status not in SMS_STATUSES:
            status = "out_for_delivery"
        if request.method == "POST":
            return self._send_test(request, shop=shop, status=status)
        previews = []
        for language in SUPPORTED_LANGUAGES:
            body = sms_template_body_for(shop=shop, status=status, language=language)
            text = self._render(shop, status, language, body)
            previews.append(
                {"language": language, "text": text, "customised": bool(body), "summary": length_summary(text)}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"SMS previews — {status_label(status, 'en')}",
            "opts": self.model._meta,
            "shops": shops,
            "shop": shop,
            "status": status,
            "statuses": [(value, status_label(value, "en")) for value in SMS_STATUSES],
            "previews": previews,
            "can_send": shop in self.shops_for(request, "change"),
        }
        return TemplateResponse(request, "admin/notifications/sms_previews.html", context)

    def _send_test(self, request: HttpRequest, *, shop: Shop, status: str) -> HttpResponse:
        if shop not in self.shops_for(request, "change"):
            raise PermissionDenied
        language = request.POST.get("language", shop.locale)
        if language not in SUPPORTED_LANGUAGES:
            language = shop.locale
        try:
            sent_to = sms_send_test(shop=shop, status=status, language=language, phone=request.POST.get("phone", ""))
        except (SmsTestRefused, SmsGatewayInvalid) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Test SMS ({language}) sent to {sent_to}.")
        url = reverse("admin:notifications_sms_previews")
        return HttpResponseRedirect(f"{url}?shop={shop.pk}&status={status}")

    def _shop(self, request: HttpRequest, shop_id: str | None, action: str) -> Shop:
        shops = self.shops_for(request, action)
        shop = shops.filter(pk=shop_id).first() if shop_id and shop_id.isdigit() else shops.order_by("name").first()
        if shop is None:
            raise PermissionDenied
        return shop

    @staticmethod
    def _render(shop: Shop, status: str, language: str, body: str) -> str:
        facts = sample_sms_facts(shop=shop, status=status, language=language)
        return sms_render(facts, override=body, transliterate=sms_settings_for(shop=shop).transliterate)


@admin.register(OutboxSms)
class OutboxSmsAdmin(TenantScopedAdmin):
    role_actions = EVERYONE_READS
    list_display = ["created_at", "to", "sender", "short_body", "encoding", "segments", "shop"]
    search_fields = ["to", "provider_message_id"]
    list_select_related = ["shop"]
    fields = ["created_at", "shop", "to", "sender", "body", "encoding", "segments", "provider_message_id"]

    def get_readonly_fields(self, request: HttpRequest, obj: OutboxSms | None = None) -> list[str]:
        return self.fields

    @admin.display(description="Text")
    def short_body(self, obj: OutboxSms) -> str:
        return obj.body if len(obj.body) <= 80 else f"{obj.body[:79]}…"


class SmsOptOutForm(forms.ModelForm):
    class Meta:
        model = SmsOptOut
        fields = ["shop", "phone", "reason"]

    def clean_phone(self) -> str:
        check = phone_normalize(raw=self.cleaned_data["phone"], country="")
        if not check.e164:
            raise forms.ValidationError(f"{check.reason}; write it with its country prefix, e.g. +48 600 100 200.")
        return check.e164


@admin.register(SmsOptOut)
class SmsOptOutAdmin(TenantScopedAdmin):
    form = SmsOptOutForm
    role_actions = {Role.OWNER: ALL, Role.SUPPORT: frozenset({"view", "add"}), Role.MARKETER: READ}
    list_display = ["phone", "reason", "shop", "created_at"]
    list_filter = ["reason"]
    search_fields = ["phone"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("shop")
