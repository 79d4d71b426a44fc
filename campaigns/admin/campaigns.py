"""Admin of campaigns (content, preview, results, the delay-apology set-up), their dispatches and clicks."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.safestring import SafeString, mark_safe

from campaigns.admin.common import READ_ONLY, RelatedOnly, scoped_object, shops_for, tool_page
from campaigns.admin.reports import report_html
from campaigns.analytics import campaign_report
from campaigns.models import (
    Campaign,
    CampaignContent,
    CampaignDispatch,
    Click,
)
from campaigns.preview import campaign_preview
from campaigns.setups import delay_apology_setup
from campaigns.validation import ContentRow, campaign_errors, content_errors
from shipments.models import Order
from shops.admin_base import MARKETING, TenantScopedAdmin, TenantStackedInline
from shops.models import Shop


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
        return report_html(campaign_report(campaign=campaign))

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
        campaign = scoped_object(self, request, object_id, "view")
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
        form = DelayApologyForm(request.POST or None, shops=shops_for(self, request))
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
        return tool_page(
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
