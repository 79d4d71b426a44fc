"""Admin of the catalog (with CSV import) and the recommendation rules."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from campaigns.admin.common import CsvUploadForm, RelatedOnly, report_messages, shops_for, tool_page
from campaigns.catalog import product_bulk_upsert
from campaigns.csv_import import PRODUCT_COLUMNS, csv_rows
from campaigns.models import (
    Product,
    RecommendationRule,
)
from campaigns.rows import BulkResult
from campaigns.validation import rule_errors
from shops.admin_base import MARKETING, TenantScopedAdmin


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
        form = CsvUploadForm(request.POST or None, request.FILES or None, shops=shops_for(self, request))
        result = None
        if request.method == "POST" and form.is_valid():
            parsed = csv_rows(raw=form.cleaned_data["file"], required=("sku", "name", "url"), known=PRODUCT_COLUMNS)
            if parsed.errors:
                result = BulkResult(errors=parsed.errors, dry_run=True)
            else:
                result = product_bulk_upsert(
                    shop=form.cleaned_data["shop"], rows=parsed.rows, dry_run=form.cleaned_data["dry_run"]
                )
            report_messages(request, result, "products")
        return tool_page(
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
