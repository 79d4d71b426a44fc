"""Admin for shops: branding with validation and contrast warnings, members and invitations, API keys, audit log."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join

from shops.admin_base import ALL, ORDERS, READ, TenantScopedAdmin, TenantTabularInline
from shops.audit import audit_record
from shops.branding import contrast_warnings
from shops.models import (
    LANGUAGE_CHOICES,
    ApiKey,
    AuditAction,
    AuditEvent,
    Invitation,
    Membership,
    Role,
    Shop,
    ShopClosure,
)
from shops.services import api_key_create, api_key_revoke, invitation_create, invitation_revoke


class ShopClosureInline(TenantTabularInline):
    """The shop's closures: days that are not business days for it (the owner edits, others read)."""

    model = ShopClosure
    role_actions = ORDERS
    fields = ["starts_on", "ends_on", "note"]
    extra = 0


@admin.register(Shop)
class ShopAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: frozenset({"view", "change"}), Role.MARKETER: READ, Role.SUPPORT: READ}
    list_display = ["name", "slug", "locale", "custom_domain", "is_active"]
    search_fields = ["name", "slug", "custom_domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ShopClosureInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_active", "locale", "timezone", "website_url"]}),
        ("Support contacts", {"fields": ["support_email", "support_phone", "support_url"]}),
        ("Customer feedback", {"fields": ["feedback_scale"]}),
        ("Sender identity", {"fields": ["sender_name", "sender_email", "reply_to_email"]}),
        ("Domain", {"fields": ["custom_domain"]}),
        ("Personal data", {"fields": ["retention_days"]}),
        (
            "Branding",
            {
                "fields": [
                    "logo",
                    "favicon",
                    "page_title",
                    "font",
                    ("primary_color", "accent_color"),
                    ("background_color", "text_color"),
                    "banner_image",
                    "banner_text",
                    "banner_url",
                    "footer_text",
                    "tracking_page_preview",
                ],
                "description": "Colours as #RRGGBB. Images: PNG, JPEG, WebP or GIF up to 1 MB (SVG is refused).",
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Shop | None = None) -> list[str]:
        # Only platform operators move a shop to another slug or switch it off.
        return ["tracking_page_preview"] + ([] if request.user.is_superuser else ["slug", "is_active"])

    @admin.display(description="Tracking page preview")
    def tracking_page_preview(self, obj: Shop | None) -> str:
        """Links to the tracking page with sample data in every language (saved branding)."""
        if obj is None or obj.pk is None:
            return "Save the shop to preview its tracking page."
        base = reverse("tracking_portal:preview", args=[obj.pk])
        return format_html_join(
            " · ",
            '<a href="{}?lang={}" target="_blank" rel="noopener">{}</a>',
            ((base, code, name) for code, name in LANGUAGE_CHOICES),
        )

    def get_prepopulated_fields(self, request: HttpRequest, obj: Shop | None = None) -> dict:
        return self.prepopulated_fields if request.user.is_superuser else {}

    def save_model(self, request: HttpRequest, obj: Shop, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in contrast_warnings(
            primary=obj.primary_color, accent=obj.accent_color, background=obj.background_color, text=obj.text_color
        ):
            messages.warning(request, warning)


class MembershipInviteForm(forms.ModelForm):
    """Add a member by inviting their email: they set their own password through the emailed link."""

    email = forms.EmailField(help_text="We email this person a link to set their password and join (valid once).")

    class Meta:
        model = Membership
        fields = ["shop", "role"]

    def clean(self) -> dict:
        cleaned = super().clean()
        email, shop = cleaned.get("email", "").lower(), cleaned.get("shop")
        if email and shop and Membership.objects.filter(shop=shop, user__email__iexact=email).exists():
            self.add_error("email", "This person is already a member of the shop.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: ALL}
    list_display = ["user", "shop", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__username"]

    def get_form(self, request: HttpRequest, obj: Membership | None = None, **kwargs):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = MembershipInviteForm
        else:
            kwargs["fields"] = ["role"]
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "shop"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "shop", "role"] if obj else ["shop", "email", "role"]

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            if "role" in form.changed_data:
                audit_record(
                    shop=obj.shop,
                    actor=request.user,
                    action=AuditAction.MEMBER_ROLE_CHANGED,
                    target=f"{obj.user.get_username()} to {obj.get_role_display()}",
                    request=request,
                )
            return
        # Adding a member never creates or touches an account here: it sends an invitation.
        if not self.tenant_allows(request, "add", obj):
            raise PermissionDenied
        invitation_create(
            shop=obj.shop, email=form.cleaned_data["email"], role=obj.role, invited_by=request.user, request=request
        )

    def log_addition(self, request: HttpRequest, obj: Membership, message: object) -> None:
        # The membership exists only once the invitation is accepted; the audit log has the invitation.
        if obj.pk is not None:
            super().log_addition(request, obj, message)

    def response_add(self, request: HttpRequest, obj: Membership, post_url_continue: str | None = None) -> HttpResponse:
        messages.success(request, "Invitation sent. The person joins when they open the emailed link.")
        return HttpResponseRedirect(reverse("admin:shops_invitation_changelist"))

    audit_delete_action = AuditAction.MEMBER_REMOVED

    def audit_delete_target(self, obj: Membership) -> str:
        return f"{obj.user.get_username()} ({obj.get_role_display()})"


@admin.register(Invitation)
class InvitationAdmin(TenantScopedAdmin):
    """Pending and past invitations; new ones are sent from "Add membership"."""

    role_actions = {Role.OWNER: READ}
    list_display = ["email", "shop", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email"]
    fields = ["shop", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected invitations", permissions=["view"])  # only owners see invitations
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        """Make the selected open links stop working (the queryset is already limited to the user's shops)."""
        open_invitations = queryset.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        count = 0
        for invitation in open_invitations.select_related("shop"):
            invitation_revoke(invitation=invitation, actor=request.user, request=request)
            count += 1
        messages.success(request, f"Revoked {count} invitation(s).")


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    """The shop's security audit trail: read-only, for owners."""

    role_actions = {Role.OWNER: READ}
    list_display = ["at", "shop", "action", "target", "actor_label", "ip"]
    list_filter = ["action"]
    search_fields = ["target", "actor_label"]
    fields = ["at", "shop", "action", "target", "actor", "actor_label", "ip"]
    readonly_fields = fields
    export_fields = ("at", "shop_id", "action", "target", "actor_label", "ip")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["shop", "name"]


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    role_actions = {Role.OWNER: ALL}
    form = ApiKeyForm
    list_display = ["name", "shop", "masked_key", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["masked_key", "created_at", "last_used_at", "revoked_at"]
    actions = ["export_csv", "revoke"]
    export_fields = ("shop_id", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    @admin.display(description="Key")
    def masked_key(self, obj: ApiKey) -> str:
        return f"pf_{obj.prefix}_…" if obj.prefix else "—"

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        return (
            ["shop", "name"]
            if obj is None
            else ["shop", "name", "masked_key", "created_at", "last_used_at", "revoked_at"]
        )

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        return [] if obj is None else ["shop", "masked_key", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        if not self.tenant_allows(request, "add", obj):
            raise PermissionDenied
        issued = api_key_create(shop=obj.shop, name=obj.name)
        obj.pk, obj.prefix, obj.key_hash = issued.api_key.pk, issued.api_key.prefix, issued.api_key.key_hash
        obj.created_at = issued.api_key.created_at
        audit_record(
            shop=obj.shop, actor=request.user, action=AuditAction.API_KEY_CREATED, target=str(obj), request=request
        )
        messages.warning(request, f"Copy the new key now; it is not shown again: {issued.raw_key}")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            if self.has_change_permission(request, api_key):
                api_key_revoke(api_key=api_key)
                audit_record(
                    shop=api_key.shop,
                    actor=request.user,
                    action=AuditAction.API_KEY_REVOKED,
                    target=str(api_key),
                    request=request,
                )
                count += 1
        messages.success(request, f"Revoked {count} key(s).")

    audit_delete_action = AuditAction.API_KEY_REVOKED

    def audit_delete_target(self, obj: ApiKey) -> str:
        return f"{obj} (deleted)"
