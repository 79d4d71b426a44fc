"""Admin actions for a shop's data-subject requests: export or erase the customer of the selected orders.

Owners only (the role with the delete right on orders), only in their own shops, one customer at a
time; erasure asks for confirmation and shows what it will touch. Messages to the user never carry
the customer's email: they may be stored in the session.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from shops.admin_base import OWNER_ONLY, TenantScopedAdmin
from shops.models import PrivacyRequest, Shop
from shops.privacy import normalise_email, subject_hash
from shops.privacy_services import customer_erase, customer_erase_plan, customer_export


class CustomerPrivacyActions:
    """Mix into a tenant-scoped admin of orders (rows with ``shop_id`` and ``customer_email``)."""

    permission_scopes = {"privacy": "delete"}  # owners only: the role that may delete orders

    def has_privacy_permission(self, request: HttpRequest) -> bool:
        return self.tenant_allows(request, "delete")  # type: ignore[attr-defined]

    def _customer(self, request: HttpRequest, queryset: QuerySet) -> tuple[Shop, str] | None:
        owned = self.shop_ids_for(request, "delete")  # type: ignore[attr-defined]
        customers = {
            (shop_id, normalise_email(email)) for shop_id, email in queryset.values_list("shop", "customer_email")
        }
        refusal = None
        # Rows of shops where the user is not an owner were already dropped (admin_base scopes actions).
        if not customers or (owned is not None and any(shop_id not in owned for shop_id, _ in customers)):
            refusal = "Only the shop's owners may export or erase a customer's data."
        elif len(customers) != 1:
            refusal = "Select the orders of one customer (one shop, one email)."
        elif not next(iter(customers))[1]:
            refusal = "This order has no email: there is no customer to find by it."
        if refusal:
            self.message_user(request, refusal, messages.ERROR)  # type: ignore[attr-defined]
            return None
        shop_id, email = next(iter(customers))
        return Shop.objects.get(pk=shop_id), email

    @admin.action(description="Export this customer's data (JSON)", permissions=["privacy"])
    def export_customer_data(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Download every registered row of the selected order's customer in that shop."""
        customer = self._customer(request, queryset)
        if customer is None:
            return None
        shop, email = customer
        export = customer_export(shop=shop, email=email, actor=request.user)
        response = JsonResponse(export, json_dumps_params={"indent": 2, "ensure_ascii": False})
        name = subject_hash(email).removeprefix("sha256:")[:12]
        response["Content-Disposition"] = f'attachment; filename="customer-{shop.slug}-{name}.json"'
        return response

    @admin.action(description="Erase this customer (asks to confirm)", permissions=["privacy"])
    def erase_customer(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Show what erasing the selected order's customer touches; on confirmation, erase it."""
        customer = self._customer(request, queryset)
        if customer is None:
            return None
        shop, email = customer
        if request.POST.get("confirm") == "yes":
            counts = customer_erase(shop=shop, email=email, actor=request.user)
            self.message_user(  # type: ignore[attr-defined]
                request,
                f"The customer's personal data was erased in {shop}: {sum(counts.values())} row(s) anonymised or "
                "deleted; statistics were kept.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": "Erase this customer's personal data?",
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "shop": shop,
            "email": email,
            "plan": sorted(customer_erase_plan(shop=shop, email=email).items()),
            "selected": queryset.values_list("pk", flat=True),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/shops/privacy_erase_confirmation.html", context)


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(TenantScopedAdmin):
    """The shop's data-subject requests and retention runs, read-only, for its owners."""

    role_actions = OWNER_ONLY
    list_display = ["at", "shop", "kind", "actor_label", "subject"]
    list_filter = ["kind", "shop"]
    search_fields = ["subject"]
    readonly_fields = ["shop", "kind", "subject", "actor", "actor_label", "at", "counts"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):  # type: ignore[no-untyped-def]
        # Subjects are stored hashed: an owner searches by the customer's email.
        term = subject_hash(search_term) if "@" in search_term else search_term
        return super().get_search_results(request, queryset, term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PrivacyRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PrivacyRequest | None = None) -> bool:
        return False
