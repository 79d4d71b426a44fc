"""What every campaigns admin shares: the tenant-scoped lookups, the CSV upload form, the tool page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from campaigns.rows import BulkResult
from shops.admin_base import TenantScopedAdmin
from shops.models import Role, Shop

# Related filters list only values present in the (tenant-scoped) list, never every shop's names.
RelatedOnly = admin.RelatedOnlyFieldListFilter
READ_ONLY = {Role.OWNER: frozenset({"view"}), Role.MARKETER: frozenset({"view"})}


def shops_for(admin_obj: TenantScopedAdmin, request: HttpRequest, action: str = "add") -> QuerySet[Shop]:
    """The shops where the user may take ``action`` in ``admin_obj`` (the choices of a tool's shop field)."""
    return admin_obj.shops_for(request, action)


def scoped_object(admin_obj: TenantScopedAdmin, request: HttpRequest, object_id: str, action: str):  # type: ignore[no-untyped-def]
    """The object behind an extra view, through the scoped queryset: another shop's id is a 404."""
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


def tool_page(request: HttpRequest, admin_obj: admin.ModelAdmin, *, title: str, **context) -> HttpResponse:  # type: ignore[no-untyped-def]
    """An extra admin view (import, generate, set-up) in the admin's frame."""
    return render(
        request,
        "admin/campaigns/tool.html",
        {**admin_obj.admin_site.each_context(request), "opts": admin_obj.model._meta, "title": title, **context},
    )


def report_messages(request: HttpRequest, result: BulkResult, noun: str) -> None:
    """Tell the user what a bulk upload did, would do (dry run) or why it stored nothing."""
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
