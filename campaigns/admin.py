"""Admin for marketers: catalog with CSV import, rules, discount pools, campaigns with preview and results.

Everything is scoped to the user's shops by ``TenantScopedAdmin``; marketers and owners manage
(``MARKETING``), support sees nothing here. The extra views (imports, code generation, preview,
delay-apology set-up) look objects up through the scoped querysets, so another shop's id is a 404,
and offer only shops where the user may add.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from campaigns.analytics import CampaignReport, campaign_report
from campaigns.catalog import product_bulk_upsert
from campaigns.csv_import import CODE_COLUMNS, PRODUCT_COLUMNS, REDEMPTION_COLUMNS, csv_rows
from campaigns.discounts import discount_codes_generate, discount_codes_upload, discount_redemptions_record
from campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignDispatch,
    Click,
    DiscountAllocation,
    DiscountCode,
    DiscountPool,
    DiscountRedemption,
    PoolKind,
    Product,
    RecommendationRule,
)
from campaigns.preview import campaign_preview
from campaigns.rows import BulkResult
from campaigns.setups import delay_apology_setup
from campaigns.validation import ContentRow, campaign_errors, content_errors, rule_errors
from shipments.models import Order
from shops.admin_base import MARKETING, TenantScopedAdmin, TenantStackedInline
from shops.models import Role, Shop

# Related filters list only values present in the (tenant-scoped) list, never every shop's names.
RelatedOnly = admin.RelatedOnlyFieldListFilter
READ_ONLY = {Role.OWNER: frozenset({"view"}), Role.MARKETER: frozenset({"view"})}


def _shops_for(admin_obj: TenantScopedAdmin, request: HttpRequest, action: str = "add") -> QuerySet[Shop]:
    shop_ids = admin_obj.shop_ids_for(request, action)
    shops = Shop.objects.all()
    return shops if shop_ids is None else shops.filter(pk__in=shop_ids)


def _scoped_object(admin_obj: TenantScopedAdmin, request: HttpRequest, object_id: str, action: str):  # type: ignore[no-untyped-def]
    obj = admin_obj.get_object(request, object_id)
    if obj is None:
        raise Http404("Not found.")
    allowed = (
        admin_obj.has_change_permission(request, obj)
        if action == "change"
        else admin_obj.has_view_permission(request, obj)
    )
    if not allowed:
        raise PermissionDenied
    return obj


class CsvUploadForm(forms.Form):
    """A CSV file for one shop, checked first (dry run) and then applied, all or nothing."""

    shop = forms.ModelChoiceField(queryset=Shop.objects.none())
    file = forms.FileField(help_text="CSV, UTF-8 or Windows-1250, comma or semicolon separated, at most 5 MB.")
    dry_run = forms.BooleanField(required=False, initial=True, label="Only check (dry run), store nothing")

    def __init__(self, *args, shops: QuerySet[Shop], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        if shops.count() == 1:
            self.fields["shop"].initial = shops.first()


def _tool_page(request: HttpRequest, admin_obj: admin.ModelAdmin, *, title: str, **context) -> HttpResponse:  # type: ignore[no-untyped-def]
    return render(
        request,
        "admin/campaigns/tool.html",
        {**admin_obj.admin_site.each_context(request), "opts": admin_obj.model._meta, "title": title, **context},
    )


def _report_messages(request: HttpRequest, result: BulkResult, noun: str) -> None:
    if result.errors:
        messages.error(
            request, f"Nothing was stored: {len(result.errors)} problem(s) below. Fix the file and upload it again."
        )
    elif result.dry_run:
        messages.info(
            request,
            f"Check passed: {result.created} new, {result.updated} changed, {result.unchanged} unchanged {noun}. "
            "Untick 'dry run' and upload again to store them.",
        )
    else:
        messages.success(
            request, f"Stored: {result.created} new, {result.updated} changed, {result.unchanged} unchanged {noun}."
        )


# --- Catalog ----------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    """Shows stored tags as the marketer typed them ("gift, ceramic"), not in their stored form."""

    class Meta:
        model = Product
        fields = ["shop", "sku", "name", "url", "image_url", "price", "currency", "category", "tags", "active"]

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if self.instance.pk and "tags" in self.fields:
            self.initial["tags"] = ", ".join(self.instance.tag_list)


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    """The shop's catalog, editable one by one or imported by CSV."""

    role_actions = MARKETING
    form = ProductForm
    list_display = ["sku", "name", "shop", "category", "price", "currency", "active"]
    list_filter = ["active", ("shop", RelatedOnly), "category"]
    search_fields = ["sku", "name", "category", "tags"]
    list_select_related = ["shop"]
    fields = ["shop", "sku", "name", "url", "image_url", ("price", "currency"), "category", "tags", "active"]
    change_list_template = "admin/campaigns/product/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        return ["shop"] if obj is not None else []

    def get_urls(self) -> list:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="campaigns_product_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload the catalog as CSV: a dry run with a per-row report, then all or nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None, shops=_shops_for(self, request))
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(
                raw=form.cleaned_data["file"].read(), required=("sku", "name", "url"), known=PRODUCT_COLUMNS
            )
            if parsed.errors:
                result = BulkResult(errors=parsed.errors, dry_run=True)
            else:
                result = product_bulk_upsert(
                    shop=form.cleaned_data["shop"], rows=parsed.rows, dry_run=form.cleaned_data["dry_run"]
                )
            _report_messages(request, result, "products")
        return _tool_page(
            request,
            self,
            title="Import products from CSV",
            form=form,
            result=result,
            multipart=True,
            columns=PRODUCT_COLUMNS,
            help_text="Required columns: sku, name, url. Products are matched by SKU; rows not in the file stay as they are.",
        )


class RecommendationRuleForm(forms.ModelForm):
    """A rule says what the order must contain and what to recommend (or which content to link)."""

    class Meta:
        model = RecommendationRule
        fields = [
            "shop",
            "name",
            "active",
            "priority",
            "match_kind",
            "match_value",
            "recommend_kind",
            "recommend_value",
            "link_title",
            "link_url",
        ]

    def _post_clean(self) -> None:
        super()._post_clean()
        for field, problems in rule_errors(self.instance).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)


@admin.register(RecommendationRule)
class RecommendationRuleAdmin(TenantScopedAdmin):
    """ "Bought X → recommend Y" rules with priorities and content links."""

    role_actions = MARKETING
    form = RecommendationRuleForm
    list_display = [
        "name",
        "shop",
        "priority",
        "match_kind",
        "match_value",
        "recommend_kind",
        "recommend_value",
        "active",
    ]
    list_filter = ["active", ("shop", RelatedOnly), "match_kind"]
    search_fields = ["name", "match_value", "recommend_value"]
    list_select_related = ["shop"]

    def get_readonly_fields(self, request: HttpRequest, obj: RecommendationRule | None = None) -> list[str]:
        return ["shop"] if obj is not None else []


# --- Discount pools -------------------------------------------------------------------------


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
        # Two independent subqueries: joining codes and allocations together would multiply the rows.
        free = (
            DiscountCode.objects.filter(pool=OuterRef("pk"), allocated_at__isnull=True)
            .order_by()
            .values("pool")
            .annotate(n=Count("pk"))
            .values("n")
        )
        given = (
            DiscountAllocation.objects.filter(pool=OuterRef("pk"))
            .order_by()
            .values("pool")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                free_codes=Coalesce(Subquery(free, output_field=IntegerField()), 0),
                allocated=Coalesce(Subquery(given, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description="Free codes", ordering="free_codes")
    def free_codes_display(self, pool: DiscountPool) -> str:
        if not pool.is_unique:
            return "shared code"
        if pool.free_codes < pool.low_stock_threshold:  # type: ignore[attr-defined]
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
        free = pool.codes.filter(allocated_at__isnull=True).count()
        return f"{free} free of {pool.codes.count()} codes (warning below {pool.low_stock_threshold})."

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        for pool in self.get_queryset(request).exclude(kind=PoolKind.SHARED):
            if pool.free_codes < pool.low_stock_threshold:  # type: ignore[attr-defined]
                messages.warning(
                    request,
                    f"Discount pool {pool.name!r} ({pool.shop}) is running low: {pool.free_codes} codes left. "  # type: ignore[attr-defined]
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
        pool = _scoped_object(self, request, object_id, "change")
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
        return _tool_page(request, self, title=f"Generate codes for {pool.name}", form=form, original=pool)

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Upload unique codes by CSV into a pool of the user's shop: dry run, then all or nothing."""
        pool = _scoped_object(self, request, object_id, "change")
        form = CodesUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(raw=form.cleaned_data["file"].read(), required=CODE_COLUMNS, known=CODE_COLUMNS)
            result = (
                BulkResult(errors=parsed.errors, dry_run=True)
                if parsed.errors
                else discount_codes_upload(pool=pool, rows=parsed.rows, dry_run=form.cleaned_data["dry_run"])
            )
            _report_messages(request, result, "codes")
        return _tool_page(
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
        if not _shops_for(self, request, "add").exists():
            raise PermissionDenied
        form = CsvUploadForm(request.POST or None, request.FILES or None, shops=_shops_for(self, request, "add"))
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(
                raw=form.cleaned_data["file"].read(), required=("code", "order_number"), known=REDEMPTION_COLUMNS
            )
            result = (
                BulkResult(errors=parsed.errors, dry_run=True)
                if parsed.errors
                else discount_redemptions_record(
                    shop=form.cleaned_data["shop"], rows=parsed.rows, dry_run=form.cleaned_data["dry_run"]
                )
            )
            _report_messages(request, result, "redemptions")
        return _tool_page(
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


# --- Campaigns --------------------------------------------------------------------------------


class CampaignForm(forms.ModelForm):
    """The campaign's settings, checked together by :func:`campaign_errors`."""

    class Meta:
        model = Campaign
        fields = [field.name for field in Campaign._meta.concrete_fields if field.editable and field.name not in {"id"}]
        widgets = {"variants": forms.TextInput(attrs={"size": 30})}

    def _post_clean(self) -> None:
        super()._post_clean()
        for field, problems in campaign_errors(self.instance).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)


class CampaignContentFormSet(BaseInlineFormSet):
    """Checks the content rows together: variants exist, the shop's language is there, placeholders render."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [
            ContentRow(
                variant=form.cleaned_data.get("variant", ""),
                language=form.cleaned_data.get("language", ""),
                subject=form.cleaned_data.get("subject", ""),
                heading=form.cleaned_data.get("heading", ""),
                body_markdown=form.cleaned_data.get("body_markdown", ""),
                cta_text=form.cleaned_data.get("cta_text", ""),
                cta_url=form.cleaned_data.get("cta_url", ""),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        campaign = self.instance
        shop_language = campaign.shop.locale if campaign.shop_id else "pl"
        problems = content_errors(campaign, rows, shop_language=shop_language)
        if problems:
            raise ValidationError(problems)


class CampaignContentInline(TenantStackedInline):
    """Subject, heading, Markdown body, banner and call to action per variant and language."""

    role_actions = MARKETING
    model = CampaignContent
    formset = CampaignContentFormSet
    extra = 0

    def get_extra(self, request: HttpRequest, obj: Campaign | None = None, **kwargs) -> int:  # type: ignore[no-untyped-def]
        # A new campaign starts with one empty content form; an unchanged one is simply ignored.
        return 1 if obj is None else 0

    fields = [
        ("variant", "language"),
        "subject",
        "heading",
        "body_markdown",
        ("banner_text", "banner_image_url", "banner_link_url"),
        ("cta_text", "cta_url"),
    ]


class DelayApologyForm(forms.Form):
    """The few choices the ready-made delay apology needs."""

    shop = forms.ModelChoiceField(queryset=Shop.objects.none())
    code_count = forms.IntegerField(min_value=1, max_value=100_000, initial=500, label="Vouchers to generate")
    discount_description = forms.CharField(initial="10% off your next order", max_length=200)
    valid_days = forms.IntegerField(min_value=1, max_value=3650, initial=60, label="Each voucher is valid (days)")

    def __init__(self, *args, shops: QuerySet[Shop], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        if shops.count() == 1:
            self.fields["shop"].initial = shops.first()


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin):
    """Campaigns with content per variant and language, preview, results and the delay-apology set-up."""

    role_actions = MARKETING
    form = CampaignForm
    inlines = [CampaignContentInline]
    list_display = ["name", "shop", "status", "kind", "trigger_type", "trigger_status", "priority", "variants"]
    list_filter = ["status", "kind", "trigger_type", ("shop", RelatedOnly)]
    search_fields = ["name", "slug"]
    list_select_related = ["shop"]
    prepopulated_fields = {"slug": ["name"]}
    change_list_template = "admin/campaigns/campaign/change_list.html"
    change_form_template = "admin/campaigns/campaign/change_form.html"
    fieldsets = [
        (None, {"fields": ["shop", "name", "slug", "kind", "status", ("starts_at", "ends_at"), "priority"]}),
        (
            "Trigger",
            {
                "fields": ["trigger_type", "trigger_status", "delay_hours"],
                "description": "Which parcel event starts the campaign. A delayed trigger waits, e.g. 72 hours "
                "after delivery for a review request.",
            },
        ),
        (
            "Audience (empty = everyone)",
            {
                "fields": [
                    ("countries", "languages"),
                    ("min_order_value", "max_order_value"),
                    ("product_categories", "product_tags"),
                    "carriers",
                    "customer_type",
                    "require_marketing_consent",
                ]
            },
        ),
        (
            "Placement",
            {
                "fields": [
                    ("send_email", "show_on_page"),
                    ("show_banner", "show_products", "max_products"),
                    ("discount_pool", "page_discount"),
                ]
            },
        ),
        (
            "A/B test and frequency",
            {
                "fields": ["variants", ("frequency_cap_count", "frequency_cap_days")],
                "description": "Each order gets one variant by weight, always the same one. The cap counts all "
                "campaign emails of the shop to the same customer.",
            },
        ),
        ("Results", {"fields": ["results"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Campaign | None = None) -> list:
        return self.fieldsets if obj is not None else self.fieldsets[:-1]

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> list[str]:
        return ["shop", "results"] if obj is not None else ["results"]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Campaign | None = None) -> dict:
        return self.prepopulated_fields if obj is None else {}

    @admin.display(description="Results")
    def results(self, campaign: Campaign) -> SafeString:
        if campaign.pk is None:
            return mark_safe("—")
        return render_report(campaign_report(campaign=campaign))

    def get_urls(self) -> list:
        return [
            path(
                "delay-apology/",
                self.admin_site.admin_view(self.delay_apology_view),
                name="campaigns_campaign_delay_apology",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="campaigns_campaign_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The campaign on a real order of its shop (``?order=<number>``, default the newest); stores nothing."""
        campaign = _scoped_object(self, request, object_id, "view")
        orders = Order.objects.filter(shop_id=campaign.shop_id)
        number = request.GET.get("order", "").strip()
        order = orders.filter(number=number).first() if number else orders.order_by("-placed_at", "-pk").first()
        preview = None
        if order is not None:
            language = request.GET.get("language") or None
            preview = campaign_preview(campaign=campaign, order=order, language=language)
        elif number:
            messages.error(request, f"No order #{number} in {campaign.shop}.")
        return render(
            request,
            "admin/campaigns/campaign/preview.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": campaign,
                "title": f"Preview: {campaign.name}",
                "preview": preview,
                "number": number,
                "body_html": mark_safe(preview.rendered.body_html) if preview and preview.rendered else "",
            },
        )

    def delay_apology_view(self, request: HttpRequest) -> HttpResponse:
        """Set up the ready-made delay-apology campaign for one of the user's shops in one step."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DelayApologyForm(request.POST or None, shops=_shops_for(self, request))
        if request.method == "POST" and form.is_valid():
            campaign = delay_apology_setup(
                shop=form.cleaned_data["shop"],
                code_count=form.cleaned_data["code_count"],
                discount_description=form.cleaned_data["discount_description"],
                valid_days=form.cleaned_data["valid_days"],
            )
            messages.success(
                request,
                f"The delay apology for {campaign.shop} is active: late or failed parcels now get an apology with a "
                "unique voucher. Adjust the texts below if you like.",
            )
            return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        return _tool_page(
            request,
            self,
            title="Set up the delay apology",
            form=form,
            help_text=(
                "When a parcel is late (its ETA or the promised date passed without delivery) or hits an exception, "
                "the customer gets an apology email in their language with a unique single-use voucher, and the "
                "tracking page shows it too. Creates a voucher pool and an active campaign."
            ),
        )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


CHART_ROWS = (("sent", "#1f4e79"), ("delivered", "#2e75b6"), ("opened", "#9dc3e6"), ("clicked", "#f2a900"))


def render_report(report: CampaignReport) -> SafeString:
    """The results table and an inline SVG bar chart (no JavaScript, no third-party assets)."""
    rows = [*report.variants, report.total] if len(report.variants) > 1 else report.variants
    table = format_html(
        "<table><thead><tr><th>Variant</th><th>Sent</th><th>Delivered</th><th>Opened</th><th>Clicked</th>"
        "<th>CTR</th><th>Page clicks</th><th>Codes given</th><th>Codes used</th><th>Revenue</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    entry.variant,
                    entry.sent,
                    _count(entry.delivered),
                    _count(entry.opened),
                    entry.clicked,
                    _percent(entry.ctr),
                    entry.page_clicks,
                    entry.codes_allocated,
                    entry.codes_redeemed,
                    f"{entry.revenue.quantize(Decimal('0.01'))}",
                )
                for entry in rows
            ),
        ),
    )
    notes = []
    if not report.message_data:
        notes.append("Delivery and open data are not available from the email app; 'sent' counts handed-over emails.")
    notes.extend(significance.verdict for significance in report.significance)
    return format_html(
        "{}{}{}",
        table,
        _chart(report),
        format_html_join("", "<p>{}</p>", ((note,) for note in notes)),
    )


def _chart(report: CampaignReport) -> SafeString:
    variants = report.variants
    peak = max([1] + [getattr(entry, name) or 0 for entry in variants for name, _ in CHART_ROWS])
    bar_height, gap, label_width, width = 14, 4, 140, 320
    bars = []
    y = 0
    for entry in variants:
        for name, colour in CHART_ROWS:
            value = getattr(entry, name) or 0
            length = round(width * value / peak)
            bars.append(
                format_html(
                    '<text x="0" y="{}" font-size="11">{} {}</text>'
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>'
                    '<text x="{}" y="{}" font-size="11">{}</text>',
                    y + bar_height - 3,
                    entry.variant,
                    name,
                    label_width,
                    y,
                    length,
                    bar_height,
                    colour,
                    f"{entry.variant} {name}: {value}",
                    label_width + length + 4,
                    y + bar_height - 3,
                    value,
                )
            )
            y += bar_height + gap
        y += gap * 2
    return format_html(
        '<svg role="img" aria-label="Campaign results by variant" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg" style="margin-top:1em">{}</svg>',
        label_width + width + 60,
        y,
        format_html_join("", "{}", ((bar,) for bar in bars)),
    )


@admin.register(CampaignDispatch)
class CampaignDispatchAdmin(TenantScopedAdmin):
    """Campaign emails handed over or waiting for their due time (read-only)."""

    role_actions = READ_ONLY
    list_display = ["campaign", "order", "variant", "due_at", "dispatched_at", "skipped_reason", "immediate"]
    list_filter = [("campaign", RelatedOnly), ("shop", RelatedOnly)]
    search_fields = ["order__number", "customer_email"]
    list_select_related = ["campaign", "order"]
    show_full_result_count = False


@admin.register(Click)
class ClickAdmin(TenantScopedAdmin):
    """Clicks through the tracked links (read-only)."""

    role_actions = READ_ONLY
    list_display = ["clicked_at", "source", "campaign", "variant", "order", "target_url"]
    list_filter = ["source", ("campaign", RelatedOnly), ("shop", RelatedOnly)]
    list_select_related = ["campaign", "order"]
    show_full_result_count = False
