"""The tenant-scoped admin every app's admin is built on.

A model joins by naming the path from itself to its shop in ``tenant_path`` (``""`` for Shop
itself, ``"shop"``, ``"order__shop"`` ...). Each ModelAdmin says which actions each role may take
in ``role_actions``; everything else follows from the user's memberships:

* list, detail, history, actions and exports see only the user's shops (``get_queryset``);
* view/add/change/delete permissions come from the role in the object's shop, not Django perms;
* an action runs only on the selected rows of shops where the role grants the action's permissions
  (``change`` unless the action declares others), never on every shop the user can merely see;
* foreign-key and many-to-many choices, and therefore forged POSTs, are limited to those shops;
* autocompletes go through the related model's (scoped) admin, so they are limited too.

Superusers see everything.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin import Action, ActionLocation
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from config.csv_files import csv_export_response
from shops.audit import audit_record
from shops.models import Membership, Role, Shop
from shops.selectors import roles_for_user, shops_for_user

ALL = frozenset({"view", "add", "change", "delete"})
READ = frozenset({"view"})
NOTHING: frozenset[str] = frozenset()

OWNER_ONLY: Mapping[str, frozenset[str]] = {Role.OWNER: ALL}
ORDERS: Mapping[str, frozenset[str]] = {Role.OWNER: ALL, Role.MARKETER: READ, Role.SUPPORT: READ}
MARKETING: Mapping[str, frozenset[str]] = {Role.OWNER: ALL, Role.MARKETER: ALL}

SECRET_FIELD_MARKERS = ("hash", "secret", "password", "token", "key")


def filter_by_shops(queryset: QuerySet, shop_ids: Iterable[int]) -> QuerySet:
    """Restrict ``queryset`` to rows of the given shops, following the model's ``tenant_path``."""
    path = tenant_path_of(queryset.model)
    lookup = "pk__in" if path == "" else f"{path}__in"
    return queryset.filter(**{lookup: list(shop_ids)})


def tenant_path_of(model: type[models.Model]) -> str:
    path = getattr(model, "tenant_path", None)
    if path is None:
        raise TypeError(f"{model.__name__} has no tenant_path; it cannot be used in a tenant-scoped admin")
    return path


def shop_id_of(obj: models.Model) -> int | None:
    """The id of the shop ``obj`` belongs to, or None while that is not known yet."""
    path = tenant_path_of(type(obj))
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    target: object = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


class TenantPermissions:
    """Role-based permissions and scoping shared by model admins and inlines."""

    role_actions: Mapping[str, frozenset[str]] = OWNER_ONLY

    def shop_ids_for(self, request: HttpRequest, action: str) -> set[int] | None:
        """Shops where the user may take ``action`` here; None means every shop (superuser)."""
        user = request.user
        if user.is_superuser and user.is_active:
            return None
        roles = getattr(request, "_parcelfront_roles", None)
        if roles is None:
            roles = roles_for_user(user=user) if user.is_staff else {}
            request._parcelfront_roles = roles  # type: ignore[attr-defined]
        return {shop_id for shop_id, role in roles.items() if action in self.role_actions.get(role, NOTHING)}

    def shops_for(self, request: HttpRequest, action: str) -> QuerySet[Shop]:
        """Shops where the user may take ``action`` here (every shop for a superuser), for choices and forms."""
        user = request.user
        if not (user.is_superuser or user.is_staff):
            return Shop.objects.none()
        roles = {role for role, actions in self.role_actions.items() if action in actions}
        return shops_for_user(user=user, roles=None if user.is_superuser else roles)

    def tenant_allows(self, request: HttpRequest, action: str, obj: models.Model | None = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        shop_ids = self.shop_ids_for(request, action)
        if shop_ids is None:
            return True
        if obj is None:
            return bool(shop_ids)
        return shop_id_of(obj) in shop_ids

    def writable_shop_ids(self, request: HttpRequest) -> set[int] | None:
        add, change = self.shop_ids_for(request, "add"), self.shop_ids_for(request, "change")
        if add is None or change is None:
            return None
        return add | change

    def scope_choices(self, request: HttpRequest, related_model: type[models.Model], queryset: QuerySet) -> QuerySet:
        """Limit a relation's choices to the shops the user may write in."""
        shop_ids = self.writable_shop_ids(request)
        if shop_ids is None:
            return queryset
        if related_model is get_user_model():
            member_ids = Membership.objects.filter(shop_id__in=shop_ids).values("user_id")
            return queryset.filter(pk__in=member_ids)
        if getattr(related_model, "tenant_path", None) is None:
            return queryset
        return filter_by_shops(queryset, shop_ids)


class TenantScopedAdmin(TenantPermissions, admin.ModelAdmin):
    """Base ModelAdmin: every list, form, action and export limited to the user's shops."""

    export_fields: tuple[str, ...] | None = None
    actions = ["export_csv"]
    # Fields whose change is security-relevant (credentials): saving a change writes ``audit_action`` to the log.
    audited_fields: tuple[str, ...] = ()
    audit_action: str = ""
    # Deleting a row of this admin is security-relevant (a member, an API key): each deletion is audited.
    audit_delete_action: str = ""
    # Custom action permissions and the standard right whose shops scope them (e.g. {"privacy": "delete"}).
    permission_scopes: Mapping[str, str] = {}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        shop_ids = self.shop_ids_for(request, "view")
        if shop_ids is None:
            return queryset
        return filter_by_shops(queryset, shop_ids)

    def get_action(self, action: Any, action_location: ActionLocation = ActionLocation.CHANGE_LIST) -> Action | None:
        # Django checks an action's permissions once, for "any object": a support member of shop B
        # who owns shop A could run a change action on B's rows. Each action is wrapped so it only
        # ever receives the rows of shops where the role grants what the action needs.
        found = super().get_action(action, action_location)
        if found is None:
            return None
        return dataclasses.replace(found, func=self._shop_scoped_action(found.func))

    def _shop_scoped_action(self, func: Callable) -> Callable:
        required = tuple(getattr(func, "allowed_permissions", ("change",)))

        @wraps(func)
        def scoped(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> Any:
            for permission in required:
                # An action's own permission ("privacy") is scoped by the standard right it stands for.
                shop_ids = self.shop_ids_for(request, self.permission_scopes.get(permission, permission))
                if shop_ids is not None:
                    queryset = filter_by_shops(queryset, shop_ids)
            return func(modeladmin, request, queryset)

        scoped.allowed_permissions = required  # type: ignore[attr-defined]
        return scoped

    def get_list_filter(self, request: HttpRequest) -> list:
        # A plain relation filter lists every row of the related table (every shop's name, say);
        # offer only the values present in the user's own, scoped rows.
        scoped = []
        for list_filter in super().get_list_filter(request):
            if isinstance(list_filter, str) and "__" not in list_filter:
                field = self.model._meta.get_field(list_filter)
                if field.is_relation:
                    list_filter = (list_filter, admin.RelatedOnlyFieldListFilter)
            scoped.append(list_filter)
        return scoped

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> models.Model:
        # Another shop's object is "not found" (404), exactly like a missing one: no redirect that
        # would confirm it exists, and no way to tell the two apart.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your shops.")
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.tenant_allows(request, "view")

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "view", obj) or self.tenant_allows(request, "change", obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.tenant_allows(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scope_choices(request, db_field.remote_field.model, formfield.queryset)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scope_choices(request, db_field.remote_field.model, formfield.queryset)
        return formfield

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        # Defence in depth behind the scoped choices: never store a row into a foreign shop.
        if not self.tenant_allows(request, "change" if change else "add", obj):
            raise PermissionDenied
        before = type(obj).objects.filter(pk=obj.pk).values(*self.audited_fields).first() if self.audited_fields else None
        super().save_model(request, obj, form, change)
        # Compared with the stored row, not the form: write-only secret fields always look "changed" in a form.
        changed = [name for name in self.audited_fields if (before or {}).get(name) != getattr(obj, name)]
        if changed:
            audit_record(
                shop=obj.shop,  # type: ignore[attr-defined]
                actor=request.user,
                action=self.audit_action,
                target=f"{obj}: {', '.join(changed)}",
                request=request,
            )

    def audit_delete_target(self, obj: models.Model) -> str:
        return str(obj)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self._audit_deletions(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._audit_deletions(request, list(queryset))
        super().delete_queryset(request, queryset)

    def _audit_deletions(self, request: HttpRequest, rows: list[models.Model]) -> None:
        if not self.audit_delete_action:
            return
        for row in rows:
            audit_record(
                shop=row.shop,  # type: ignore[attr-defined]
                actor=request.user,
                action=self.audit_delete_action,
                target=self.audit_delete_target(row),
                request=request,
            )

    def get_export_fields(self) -> list[str]:
        if self.export_fields is not None:
            return list(self.export_fields)
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if not any(marker in field.name for marker in SECRET_FIELD_MARKERS)
        ]

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        """Export the selected rows (formula-safe); the queryset is already limited to the user's shops."""
        fields = self.get_export_fields()
        return csv_export_response(
            filename=f"{self.model._meta.model_name}s.csv", header=fields, rows=queryset.values_list(*fields)
        )


class TenantScopedInlineMixin(TenantPermissions):
    """Inline permissions follow the parent object's shop and the user's role there."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        shop_ids = self.shop_ids_for(request, "view")
        if shop_ids is None:
            return queryset
        return filter_by_shops(queryset, shop_ids)

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "view", obj) or self.tenant_allows(request, "change", obj)

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "add", obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "change", obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self.tenant_allows(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = self.scope_choices(request, db_field.remote_field.model, formfield.queryset)
        return formfield


class TenantTabularInline(TenantScopedInlineMixin, admin.TabularInline):
    """A tabular inline scoped like its parent admin."""


class TenantStackedInline(TenantScopedInlineMixin, admin.StackedInline):
    """A stacked inline scoped like its parent admin."""
