"""Admin for shops: branding with validation and contrast warnings, members, API keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join

from shops.admin_base import ALL, ORDERS, READ, TenantScopedAdmin, TenantTabularInline
from shops.branding import contrast_warnings
from shops.models import LANGUAGE_CHOICES, ApiKey, Membership, Role, Shop, ShopClosure
from shops.services import api_key_create, api_key_revoke, member_add


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


class MembershipAddForm(forms.ModelForm):
    """Add a member by email: an existing account is linked, a new one is created."""

    email = forms.EmailField()
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Initial password for a new account."
    )

    class Meta:
        model = Membership
        fields = ["shop", "role"]

    def clean(self) -> dict:
        cleaned = super().clean()
        email = cleaned.get("email", "").lower()
        user_model = get_user_model()
        self.existing_user = user_model.objects.filter(email__iexact=email).first() if email else None
        if email and self.existing_user is None:
            password = cleaned.get("password")
            if not password:
                self.add_error("password", "A new account needs an initial password.")
            else:
                try:
                    validate_password(password)
                except forms.ValidationError as error:
                    self.add_error("password", error)
        shop = cleaned.get("shop")
        if shop and self.existing_user and Membership.objects.filter(shop=shop, user=self.existing_user).exists():
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
            kwargs["form"] = MembershipAddForm
        else:
            kwargs["fields"] = ["role"]
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "shop"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "shop", "role"] if obj else ["shop", "email", "password", "role"]

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        if not self.tenant_allows(request, "add", obj):
            raise PermissionDenied
        user = form.existing_user
        if user is None:
            email = form.cleaned_data["email"].lower()
            user = get_user_model()(username=email, email=email)
            user.set_password(form.cleaned_data["password"])
            user.save()
        membership = member_add(shop=obj.shop, user=user, role=obj.role)
        obj.pk = membership.pk
        obj.user = user


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
        messages.warning(request, f"Copy the new key now; it is not shown again: {issued.raw_key}")

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            if self.has_change_permission(request, api_key):
                api_key_revoke(api_key=api_key)
                count += 1
        messages.success(request, f"Revoked {count} key(s).")
