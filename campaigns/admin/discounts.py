"""Admin of discount pools (stock, generate, upload), their codes, allocations and redemptions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from campaigns.admin.common import (
    READ_ONLY,
    CsvUploadForm,
    RelatedOnly,
    report_messages,
    scoped_object,
    shops_for,
    tool_page,
)
from campaigns.csv_import import CODE_COLUMNS, REDEMPTION_COLUMNS, csv_rows
from campaigns.discounts import discount_codes_generate, discount_codes_upload, discount_redemptions_record
from campaigns.models import (
    DiscountAllocation,
    DiscountCode,
    DiscountPool,
    DiscountRedemption,
    PoolKind,
)
from campaigns.rows import BulkResult
from campaigns.selectors import pool_is_low, pool_remaining, pools_running_low, pools_with_stock
from shops.admin_base import MARKETING, TenantScopedAdmin


class DiscountPoolForm(forms.ModelForm):
    """A shared pool needs its code; unique pools get codes by upload or generation."""

    class Meta:
        model = DiscountPool
        fields = [
            "shop",
            "name",
            "kind",
            "shared_code",
            "description",
            "expires_at",
            "valid_days",
            "low_stock_threshold",
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, shared_code = cleaned.get("kind"), cleaned.get("shared_code", "")
        if kind == PoolKind.SHARED and not shared_code:
            self.add_error("shared_code", "A shared-code pool needs its code.")
        if kind != PoolKind.SHARED and shared_code:
            self.add_error(
                "shared_code", "Only a shared-code pool has a shared code; unique codes are uploaded or generated."
            )
        if self.instance.pk and kind != self.instance.kind and self.instance.codes.exists():
            self.add_error("kind", "This pool already has codes; create a new pool for another kind.")
        return cleaned


class GenerateCodesForm(forms.Form):
    """How many random codes to add and their pattern."""

    pattern = forms.CharField(
        initial="THANKS-????-????", help_text="Each ? becomes a random letter or digit; at least six of them."
    )
    count = forms.IntegerField(min_value=1, max_value=100_000, initial=500)


class CodesUploadForm(forms.Form):
    """A CSV of unique codes for one pool."""

    file = forms.FileField(help_text="CSV with a 'code' column, one code per row.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Only check (dry run), store nothing")


@admin.register(DiscountPool)
class DiscountPoolAdmin(TenantScopedAdmin):
    """Code pools with their stock, a low-stock warning, code generation and upload."""

    role_actions = MARKETING
    form = DiscountPoolForm
    list_display = ["name", "shop", "kind", "free_codes_display", "allocated_display", "expires_at"]
    list_filter = ["kind", ("shop", RelatedOnly)]
    search_fields = ["name", "shared_code"]
    list_select_related = ["shop"]
    readonly_fields = ["stock"]
    change_form_template = "admin/campaigns/discountpool/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: DiscountPool | None = None) -> list[str]:
        return ["shop", "stock"] if obj is not None else ["stock"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return pools_with_stock(super().get_queryset(request))

    @admin.display(description="Free codes", ordering="free_codes")
    def free_codes_display(self, pool: DiscountPool) -> str:
        if not pool.is_unique:
            return "shared code"
        if pool_is_low(pool=pool, remaining=pool.free_codes):  # type: ignore[attr-defined]
            return format_html('<strong style="color:#ba2121">{} — running low</strong>', pool.free_codes)  # type: ignore[attr-defined]
        return str(pool.free_codes)  # type: ignore[attr-defined]

    @admin.display(description="Given out", ordering="allocated")
    def allocated_display(self, pool: DiscountPool) -> int:
        return pool.allocated  # type: ignore[attr-defined]

    @admin.display(description="Stock")
    def stock(self, pool: DiscountPool) -> str:
        if pool.pk is None:
            return "—"
        if not pool.is_unique:
            return f"Shared code {pool.shared_code}; given to {pool.allocations.count()} orders."
        free = pool_remaining(pool=pool)
        return f"{free} free of {pool.codes.count()} codes (warning below {pool.low_stock_threshold})."

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        for pool, free in pools_running_low(shop_ids=self.shop_ids_for(request, "view")):
            messages.warning(
                request,
                f"Discount pool {pool.name!r} ({pool.shop}) is running low: {free} codes left. "
                "Upload or generate more, or emails will go out without a code.",
            )
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/generate/",
                self.admin_site.admin_view(self.generate_view),
                name="campaigns_discountpool_generate",
            ),
            path(
                "<path:object_id>/upload/",
                self.admin_site.admin_view(self.upload_view),
                name="campaigns_discountpool_upload",
            ),
            *super().get_urls(),
        ]

    def generate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Generate random unique codes into a pool of the user's shop."""
        pool = scoped_object(self, request, object_id, "change")
        form = GenerateCodesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                added = discount_codes_generate(
                    pool=pool, pattern=form.cleaned_data["pattern"], count=form.cleaned_data["count"]
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            else:
                messages.success(request, f"Added {added} codes to {pool.name!r}.")
                return HttpResponseRedirect(reverse("admin:campaigns_discountpool_change", args=[pool.pk]))
        return tool_page(request, self, title=f"Generate codes for {pool.name}", form=form, original=pool)

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Upload unique codes by CSV into a pool of the user's shop: dry run, then all or nothing."""
        pool = scoped_object(self, request, object_id, "change")
        form = CodesUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(raw=form.cleaned_data["file"], required=CODE_COLUMNS, known=CODE_COLUMNS)
            result = (
                BulkResult(errors=parsed.errors, dry_run=True)
                if parsed.errors
                else discount_codes_upload(pool=pool, rows=parsed.rows, dry_run=form.cleaned_data["dry_run"])
            )
            report_messages(request, result, "codes")
        return tool_page(
            request,
            self,
            title=f"Upload codes into {pool.name}",
            form=form,
            result=result,
            multipart=True,
            original=pool,
        )


@admin.register(DiscountCode)
class DiscountCodeAdmin(TenantScopedAdmin):
    """The unique codes of the shop's pools (read-only: they change only by allocation)."""

    role_actions = READ_ONLY
    list_display = ["code", "pool", "allocated_at"]
    list_filter = [("pool__shop", RelatedOnly)]
    search_fields = ["code"]
    list_select_related = ["pool"]
    show_full_result_count = False


@admin.register(DiscountAllocation)
class DiscountAllocationAdmin(TenantScopedAdmin):
    """Which order got which code from which campaign (read-only)."""

    role_actions = READ_ONLY
    list_display = ["code", "pool", "order", "campaign", "variant", "allocated_at", "expires_at"]
    list_filter = [("pool__shop", RelatedOnly), ("campaign", RelatedOnly)]
    search_fields = ["code", "order__number"]
    list_select_related = ["pool", "order", "campaign"]
    show_full_result_count = False


@admin.register(DiscountRedemption)
class DiscountRedemptionAdmin(TenantScopedAdmin):
    """Codes used in the shop, imported by CSV (or pushed through the API)."""

    role_actions = MARKETING
    list_display = ["code", "order_number", "amount", "currency", "campaign", "variant", "redeemed_at", "shop"]
    list_filter = [("shop", RelatedOnly), ("campaign", RelatedOnly)]
    search_fields = ["code", "order_number"]
    list_select_related = ["shop", "campaign"]
    readonly_fields = ["allocation", "pool", "campaign", "variant"]
    change_list_template = "admin/campaigns/discountredemption/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Redemptions come from the shop's system (CSV or API) so they are matched to what was given out.
        return False

    def has_change_permission(self, request: HttpRequest, obj: DiscountRedemption | None = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="campaigns_discountredemption_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload redemptions as CSV: a dry run with a per-row report, then all or nothing."""
        if not shops_for(self, request, "add").exists():
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None, shops=shops_for(self, request, "add"))
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(
                raw=form.cleaned_data["file"], required=("code", "order_number"), known=REDEMPTION_COLUMNS
            )
            result = (
                BulkResult(errors=parsed.errors, dry_run=True)
                if parsed.errors
                else discount_redemptions_record(
                    shop=form.cleaned_data["shop"], rows=parsed.rows, dry_run=form.cleaned_data["dry_run"]
                )
            )
            report_messages(request, result, "redemptions")
        return tool_page(
            request,
            self,
            title="Import redemptions from CSV",
            form=form,
            result=result,
            multipart=True,
            columns=REDEMPTION_COLUMNS,
            help_text=(
                "Required: code, order_number (the order in which the code was used). amount is that order's "
                "revenue; customer_email lets a shared code be attributed to an A/B variant."
            ),
        )
