"""Admin of the notifications app.

Who may do what (documented choice):

* email settings (statuses, quiet hours, caps, own ESP credentials): owners only;
* status templates (subject/heading/body overrides) and their previews/test emails: owners and
  marketers edit — the words of an email are marketing's craft; support reads;
* messages, their events and the stored emails: everyone in the shop reads, nobody edits
  (they are the record of what was sent); ``admin:notifications_order_messages`` (order id) shows
  every message of one order with its preview and event timeline. A message of unknown outcome
  (``notifications.reconcile``) may be resent or marked as sent by owners and support — the people
  who answer "I never got the email" — each such decision audited and written on the message;
* suppressions: owners manage, support may add one (a customer asks on the phone), marketers read.

Rendered emails are shown in an ``<iframe sandbox srcdoc=...>``: no scripts, no same origin, so a
stored email can never act on the admin.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from notifications.models import (
    Message,
    MessageEvent,
    NotificationSettings,
    OutboxEmail,
    StatusTemplate,
    Suppression,
)
from notifications.reconcile import message_mark_sent, message_resend
from notifications.rendering import OVERRIDE_VARIABLES, email_render, sample_facts
from notifications.selectors import status_overrides_for, unknown_message_counts
from notifications.sending import message_send_test
from notifications.shop_esp import ESP_PROVIDERS, ShopEspInvalid
from notifications.views import shop_esp_webhook_url
from shipments.models import STATUS_CHOICES, Order
from shipments.status_texts import status_label
from shops.admin_base import ALL, OWNER_ONLY, READ, TenantScopedAdmin, TenantTabularInline
from shops.languages import SUPPORTED_LANGUAGES
from shops.models import AuditAction, Role, Shop

EVERYONE_READS = {Role.OWNER: READ, Role.MARKETER: READ, Role.SUPPORT: READ}
TEMPLATE_EDITORS = {Role.OWNER: ALL, Role.MARKETER: ALL, Role.SUPPORT: READ}
# "reconcile": resend or mark as sent a message whose outcome is unknown.
MESSAGE_ROLES = {Role.OWNER: READ | {"reconcile"}, Role.MARKETER: READ, Role.SUPPORT: READ | {"reconcile"}}


def email_preview(html: str, *, height: int = 640) -> str:
    """A rendered email in a sandboxed iframe (no scripts, no same origin)."""
    if not html:
        return "—"
    return format_html(
        '<iframe sandbox="" referrerpolicy="no-referrer" srcdoc="{}" title="Email preview" '
        'style="width:100%;max-width:680px;height:{}px;border:1px solid #ccc;background:#fff"></iframe>',
        html,
        height,
    )


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(TenantScopedAdmin):
    role_actions = OWNER_ONLY
    audited_fields = ("esp_provider", "esp_secret_options")
    audit_action = AuditAction.ESP_CREDENTIALS_CHANGED
    list_display = ["shop", "quiet_hours_start", "quiet_hours_end", "daily_cap_per_shipment", "esp_provider"]
    readonly_fields = ["esp_webhook_url"]
    fieldsets = [
        (None, {"fields": ["shop", "email_statuses", "reason_emails"]}),
        (
            "Considerate sending",
            {
                "fields": [
                    ("quiet_hours_start", "quiet_hours_end"),
                    "settle_seconds",
                    "daily_cap_per_shipment",
                    "max_transition_age_hours",
                ],
                "description": "Quiet hours are the customer's local time (their country's timezone, else the "
                "shop's). 'Out for delivery' and 'Ready for pickup' go at once even in quiet hours: the "
                "customer acts on them today.",
            },
        ),
        (
            "Own ESP (optional)",
            {
                "fields": ["esp_provider", "esp_secret_options", "esp_webhook_url"],
                "description": "Credentials only: "
                + "; ".join(f"{spec.label}: {', '.join(spec.keys)}" for spec in ESP_PROVIDERS.values())
                + ". Emails go to the provider's official API, never to another address.",
            },
        ),
    ]

    @admin.display(description="Tracking webhook URL (enter it at your ESP)")
    def esp_webhook_url(self, obj: NotificationSettings | None) -> str:
        if obj is None or not obj.esp_provider or not obj.esp_webhook_token:
            return "Shown once an ESP is saved."
        return shop_esp_webhook_url(conf=obj)


class StatusTemplateHelp:
    """The variables shop-edited templates may use, for the form's description."""

    @staticmethod
    def text() -> str:
        names = ", ".join(f"{{{{ {name} }}}}" for name in OVERRIDE_VARIABLES)
        return f"Plain text with Jinja2 variables (sandboxed): {names}. Empty fields fall back to the built-in email."


@admin.register(StatusTemplate)
class StatusTemplateAdmin(TenantScopedAdmin):
    role_actions = TEMPLATE_EDITORS
    list_display = ["status", "language", "shop", "subject", "updated_at"]
    list_filter = ["status", "language"]
    fieldsets = [
        (None, {"fields": ["shop", "status", "language"]}),
        ("Overrides", {"fields": ["subject", "heading", "body"], "description": StatusTemplateHelp.text()}),
    ]
    change_list_template = "admin/notifications/statustemplate/change_list.html"

    def get_urls(self) -> list:
        return [
            path("previews/", self.admin_site.admin_view(self.previews_view), name="notifications_email_previews"),
            *super().get_urls(),
        ]

    def previews_view(self, request: HttpRequest) -> HttpResponse:
        """Previews of one status in every language on sample data, and 'send a test email to me'."""
        shops = self._shops(request, "view")
        if not shops:
            raise PermissionDenied
        shop = next((item for item in shops if str(item.pk) == request.GET.get("shop")), shops[0])
        status = request.GET.get("status") or "out_for_delivery"
        if status not in dict(STATUS_CHOICES):
            status = "out_for_delivery"

        if request.method == "POST":
            return self._send_test(request, shop=shop, status=status)

        previews = []
        for language in SUPPORTED_LANGUAGES:
            overrides = status_overrides_for(shop=shop, status=status, language=language)
            rendered = email_render(sample_facts(shop=shop, status=status, language=language, overrides=overrides))
            previews.append(
                {
                    "language": language,
                    "subject": rendered.subject,
                    "customised": bool(overrides),
                    "iframe": email_preview(rendered.html, height=560),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Email previews — {status_label(status, 'en')}",
            "opts": self.model._meta,
            "shops": shops,
            "shop": shop,
            "status": status,
            "statuses": STATUS_CHOICES,
            "languages": SUPPORTED_LANGUAGES,
            "previews": previews,
            "can_send": bool(self._shops(request, "change")) and bool(request.user.email),
        }
        return TemplateResponse(request, "admin/notifications/email_previews.html", context)

    def _send_test(self, request: HttpRequest, *, shop: Shop, status: str) -> HttpResponse:
        if shop not in self._shops(request, "change"):
            raise PermissionDenied
        language = request.POST.get("language", shop.locale)
        if language not in SUPPORTED_LANGUAGES:
            language = shop.locale
        if not request.user.email:
            messages.error(request, "Your user has no email address.")
        else:
            try:
                message_send_test(shop=shop, status=status, language=language, to_email=request.user.email)
            except ShopEspInvalid as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Test email ({language}) sent to {request.user.email}.")
        return HttpResponseRedirect(f"{request.path}?shop={shop.pk}&status={status}")

    def _shops(self, request: HttpRequest, action: str) -> list[Shop]:
        return list(self.shops_for(request, action).order_by("name"))


class MessageEventInline(TenantTabularInline):
    model = MessageEvent
    role_actions = EVERYONE_READS
    extra = 0
    can_delete = False
    fields = ["occurred_at", "event_type", "recipient", "description", "esp_name"]
    readonly_fields = fields


class ReconciledFilter(admin.SimpleListFilter):
    """Messages whose unknown outcome was settled (by the sweeper, a provider event or a person), or not."""

    title = "reconciled"
    parameter_name = "reconciled"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(reconciliation="")
        if self.value() == "no":
            return queryset.filter(reconciliation="")
        return queryset


@admin.register(Message)
class MessageAdmin(TenantScopedAdmin):
    role_actions = MESSAGE_ROLES
    list_display = [
        "created_at",
        "order_link",
        "channel",
        "to_status",
        "to_email",
        "to_phone",
        "status",
        "last_event",
        "sent_at",
    ]
    list_filter = ["status", ReconciledFilter, "reconciliation", "trigger_kind", "channel", "to_status", "last_event"]
    search_fields = ["order__number", "to_email", "to_phone", "esp_message_id"]
    list_select_related = ["order"]
    inlines = [MessageEventInline]
    actions = ["export_csv", "resend_unknown", "mark_unknown_sent"]
    export_fields = (
        "id",
        "created_at",
        "to_status",
        "to_email",
        "status",
        "reason",
        "sent_at",
        "last_event",
        "reconciliation",
        "reconciled_at",
        "reconciled_by",
    )
    fieldsets = [
        (None, {"fields": ["order_link", "to_status", "to_email", "to_phone", "language", "campaign_id", "variant"]}),
        ("Trigger", {"fields": ["trigger_kind", "trigger_id", "channel", "template"]}),
        (
            "Sending",
            {
                "fields": [
                    "status",
                    "reason",
                    "send_after",
                    "attempts",
                    "sent_at",
                    "esp_name",
                    "esp_message_id",
                    "segments",
                ]
            },
        ),
        (
            "Reconciliation (outcome unknown)",
            {
                "fields": [
                    "unknown_since",
                    "reconciliation",
                    "reconciled_at",
                    "reconciled_by",
                    "resent_blind_at",
                    "reconciliation_log",
                ],
                "classes": ["collapse"],
            },
        ),
        (
            "What the ESP told us",
            {"fields": ["last_event", "delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"]},
        ),
        ("Rendered email", {"fields": ["subject", "preview", "text_body", "marketing_notes"]}),
    ]

    change_list_template = "admin/notifications/message/change_list.html"

    def get_urls(self) -> list:
        return [
            path(
                "order/<int:order_id>/",
                self.admin_site.admin_view(self.order_messages_view),
                name="notifications_order_messages",
            ),
            *super().get_urls(),
        ]

    def order_messages_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        """Every message of one order, newest first, each with its rendered preview and ESP event timeline."""
        queryset = self.get_queryset(request).filter(order_id=order_id)
        order = Order.objects.filter(pk=order_id, pk__in=queryset.values("order_id")).first()
        if order is None or not self.has_view_permission(request):
            raise Http404
        rows = [
            {
                "message": message,
                "events": list(message.events.all()),
                "iframe": email_preview(message.html_body, height=480),
            }
            for message in queryset.prefetch_related("events").order_by("-created_at", "-pk")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Emails of order {order}",
            "opts": self.model._meta,
            "order": order,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/notifications/order_messages.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        counts = unknown_message_counts(shop_ids=self.shop_ids_for(request, "view"))
        return super().changelist_view(request, {**(extra_context or {}), "reconciliation_counts": counts})

    def has_reconcile_permission(self, request: HttpRequest) -> bool:
        return self.tenant_allows(request, "reconcile")

    @admin.action(description="Resend (outcome unknown, it never arrived)", permissions=["reconcile"])
    def resend_unknown(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Send selected messages of unknown outcome again; the queryset holds only the user's reconcilable shops."""
        self._reconcile(request, queryset, message_resend, done="queued to be sent again")

    @admin.action(description="Mark as sent (outcome unknown, it arrived)", permissions=["reconcile"])
    def mark_unknown_sent(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Record selected messages of unknown outcome as sent."""
        self._reconcile(request, queryset, message_mark_sent, done="marked as sent")

    def _reconcile(self, request: HttpRequest, queryset: QuerySet, decide, *, done: str) -> None:  # type: ignore[no-untyped-def]
        rows = list(queryset.select_related("shop"))
        decided = sum(decide(message=message, actor=request.user, request=request) for message in rows)
        if decided:
            messages.success(request, f"{decided} message(s) {done}.")
        if len(rows) > decided:
            messages.warning(request, f"{len(rows) - decided} message(s) skipped: their outcome is not unknown.")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Support opens "every message of this order" from the order page: ?order__id__exact=<id>.
        return lookup in {"order__id__exact", "shipment__id__exact"} or super().lookup_allowed(lookup, value, request)

    def get_readonly_fields(self, request: HttpRequest, obj: Message | None = None) -> list[str]:
        return [field.name for field in Message._meta.concrete_fields] + ["order_link", "preview"]

    @admin.display(description="Order")
    def order_link(self, obj: Message) -> str:
        if obj.order_id is None:
            return "-"
        try:
            url = reverse("admin:shipments_order_change", args=[obj.order_id])
        except NoReverseMatch:
            return str(obj.order)
        return format_html('<a href="{}">{}</a>', url, obj.order)

    @admin.display(description="Preview")
    def preview(self, obj: Message) -> str:
        return email_preview(obj.html_body)


@admin.register(OutboxEmail)
class OutboxEmailAdmin(TenantScopedAdmin):
    role_actions = EVERYONE_READS
    list_display = ["created_at", "subject", "recipients", "from_email", "shop"]
    search_fields = ["subject", "to", "esp_message_id"]
    list_select_related = ["shop"]
    fields = [
        "created_at",
        "shop",
        "from_email",
        "to",
        "reply_to",
        "subject",
        "preview",
        "text_body",
        "headers",
        "metadata",
        "tags",
        "esp_message_id",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: OutboxEmail | None = None) -> list[str]:
        return self.fields

    @admin.display(description="To")
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.to)

    @admin.display(description="Preview")
    def preview(self, obj: OutboxEmail) -> str:
        return email_preview(obj.html_body)


@admin.register(Suppression)
class SuppressionAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: ALL, Role.SUPPORT: frozenset({"view", "add"}), Role.MARKETER: READ}
    list_display = ["email", "reason", "shop", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("shop")


# The SMS channel's admin (settings, texts with live previews, stored SMS, opt-outs) registers itself.
from notifications.sms import admin as sms_admin  # noqa: E402, F401
