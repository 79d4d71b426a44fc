"""Data-subject requests and retention over the personal-data registry: export, erase, sweep.

Everything is scoped to one shop: a customer is (shop, email), and another shop's rows for the same
address are never read or changed. Each request writes a :class:`PrivacyRequest` row (the audit).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce, Greatest

from shops.audit import audit_record
from shops.models import ApiKey, AuditAction, PrivacyKind, PrivacyRequest, Shop
from shops.phones import phone_normalize
from shops.privacy import (
    BLANK,
    OnErase,
    PersonalData,
    anonymised_value,
    declarations,
    normalise_email,
    order_declaration,
    scrubbed,
    subject_hash,
)

Actor = AbstractBaseUser | ApiKey | str | None
SECRET_MARKERS = ("hash", "secret", "password", "token", "key", "claim")
CHUNK = 500  # rows loaded at a time while anonymising


@dataclass(frozen=True)
class Subject:
    """Whose data: the shop, the customer's email, their orders and what identifies them in text."""

    shop: Shop
    email: str
    order_ids: tuple[int, ...]
    phones: tuple[str, ...]
    needles: tuple[str, ...]


@dataclass
class RetentionResult:
    """What one retention sweep erased, and whether a bound stopped it before the end."""

    orders: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    more: bool = False


def customer_export(*, shop: Shop, email: str, actor: Actor = None) -> dict[str, Any]:
    """Every registered row of this customer in ``shop`` (JSON-serialisable), audited."""
    subject = _subject(shop=shop, email=email)
    data: dict[str, list[dict[str, Any]]] = {}
    for declaration in declarations():
        rows = _rows(declaration, subject).order_by("pk")
        data[declaration.label] = [_exported(declaration, row) for row in rows.iterator(chunk_size=CHUNK)]
    counts = {label: len(rows) for label, rows in data.items() if rows}
    _audit(shop=shop, kind=PrivacyKind.EXPORT, subject=subject, actor=actor, counts=counts)
    return json.loads(json.dumps({"shop": shop.slug, "email": subject.email, "data": data}, cls=DjangoJSONEncoder))


def customer_erase(*, shop: Shop, email: str, actor: Actor) -> dict[str, int]:
    """Anonymise or delete this customer's personal data in ``shop`` per the registry, all or nothing.

    Statistics survive: parcels, statuses, events and message outcomes stay, without the person.
    Returns the rows changed per model; a second call finds nothing left and changes nothing.
    """
    with transaction.atomic():
        subject = _subject(shop=shop, email=email)
        # Find every row first: erasing one model must not hide another model's rows from the lookups.
        planned = [(declaration, _pks(_rows(declaration, subject))) for declaration in declarations()]
        counts = {}
        for declaration, pks in planned:
            changed = _erase_rows(declaration, pks, subject.needles)
            if changed:
                counts[declaration.label] = changed
        _audit(shop=shop, kind=PrivacyKind.ERASE, subject=subject, actor=actor, counts=counts)
    return counts


def customer_erase_plan(*, shop: Shop, email: str) -> dict[str, int]:
    """How many rows of each model an erasure of this customer would touch (for the confirmation page)."""
    subject = _subject(shop=shop, email=email)
    plan = {declaration.label: _rows(declaration, subject).count() for declaration in declarations()}
    return {label: count for label, count in plan.items() if count}


def retention_sweep(*, now: datetime, chunk_size: int = 200, max_chunks: int = 50) -> RetentionResult:
    """Erase personal data of orders idle longer than their shop's ``retention_days``, chunk by chunk.

    Each chunk is its own transaction, so a crash loses at most one chunk's work and a rerun
    continues (erased orders no longer match). Stops after ``max_chunks`` chunks that erased
    something and then says ``more`` (there may be more).
    """
    result = RetentionResult()
    chunks = 0
    for shop in Shop.objects.order_by("pk"):
        cutoff = now - timedelta(days=shop.retention_days)
        shop_counts: dict[str, int] = {}
        while True:
            if chunks >= max_chunks:
                result.more = True
                break
            with transaction.atomic():
                order_ids = _expired_order_ids(shop=shop, cutoff=cutoff, limit=chunk_size)
                erased = _erase_orders(shop=shop, order_ids=order_ids) if order_ids else {}
                erased.update(_delete_expired_copies(shop=shop, cutoff=cutoff, limit=chunk_size))
            if not erased:
                break
            # Only chunks that erased something count: shops with nothing due must not starve the later ones.
            chunks += 1
            result.orders += len(order_ids)
            _add(shop_counts, erased)
        if shop_counts:
            PrivacyRequest.objects.create(
                shop=shop, kind=PrivacyKind.RETENTION, actor_label="retention", counts=shop_counts
            )
            _add(result.counts, shop_counts)
        if result.more:
            break
    return result


# --- finding a customer's rows ---------------------------------------------------------------


def _subject(*, shop: Shop, email: str) -> Subject:
    email = normalise_email(email)
    if not email:
        raise ValueError("an email is needed to find a customer's data")
    orders = order_declaration()
    found = _in_shop(orders, shop).filter(_any_lookup(orders.email_lookups, [email]))
    fields = list(dict.fromkeys([*orders.identity_fields, *([orders.phone_field] if orders.phone_field else [])]))
    order_ids, phones, needles = [], set(), {email}
    for row in found.values("pk", *fields):
        order_ids.append(row["pk"])
        needles.update(str(row[name]) for name in orders.identity_fields if row[name])
        if orders.phone_field and row[orders.phone_field]:
            phones.add(row[orders.phone_field])
            # Copies (SMS, opt-outs) hold the number in E.164 even where the order kept it as typed.
            e164 = phone_normalize(raw=row[orders.phone_field], country="").e164
            if e164:
                phones.add(e164)
                needles.add(e164)
    return Subject(shop=shop, email=email, order_ids=tuple(order_ids), phones=tuple(phones), needles=tuple(needles))


def _in_shop(declaration: PersonalData, shop: Shop) -> QuerySet:
    path = declaration.resolved_shop_path
    return declaration.model.objects.filter(**({"pk": shop.pk} if path == "" else {path: shop}))


def _any_lookup(lookups: Iterable[str], values: Iterable[str]) -> Q:
    condition = Q()
    for lookup in lookups:
        for value in values:
            condition |= Q(**{lookup: value})
    return condition


def _rows(declaration: PersonalData, subject: Subject) -> QuerySet:
    condition = _any_lookup(declaration.email_lookups, [subject.email])
    condition |= _any_lookup(declaration.phone_lookups, subject.phones)
    if declaration.order_path and subject.order_ids:
        condition |= Q(**{f"{declaration.order_path}__in": subject.order_ids})
    if not condition:
        return declaration.model.objects.none()
    return _in_shop(declaration, subject.shop).filter(condition)


def _pks(queryset: QuerySet) -> list[Any]:
    return sorted(set(queryset.values_list("pk", flat=True)))


# --- erasing ---------------------------------------------------------------------------------


def _erase_rows(declaration: PersonalData, pks: list[Any], needles: Iterable[str] | None) -> int:
    """Erase the rows ``pks``; ``needles`` None means no customer is known: scrubbed fields go whole."""
    if not pks:
        return 0
    manager = declaration.model.objects
    if declaration.on_erase == OnErase.DELETE:
        for start in range(0, len(pks), CHUNK):
            _delete_files(declaration, manager.filter(pk__in=pks[start : start + CHUNK]))
            manager.filter(pk__in=pks[start : start + CHUNK]).delete()
        return len(pks)
    names = [*declaration.fields, *declaration.scrub, *declaration.files]
    changed = 0
    for start in range(0, len(pks), CHUNK):
        for row in manager.filter(pk__in=pks[start : start + CHUNK]).only("pk", *names):
            changes = _changes(declaration, row, needles)
            if changes:
                _apply(declaration, row, changes)
                changed += 1
    return changed


def _changes(declaration: PersonalData, row: models.Model, needles: Iterable[str] | None) -> dict[str, Any]:
    meta = declaration.model._meta
    changes = {}
    for name, rule in declaration.fields.items():
        value = getattr(row, name)
        new = anonymised_value(rule, meta.get_field(name), value)
        if new != value:
            changes[name] = new
    for name in declaration.scrub:
        value = getattr(row, name)
        new = anonymised_value(BLANK, meta.get_field(name), value) if needles is None else scrubbed(value, needles)
        if new != value:
            changes[name] = new
    for name in declaration.files:
        if getattr(row, name):
            changes[name] = ""
    return changes


def _apply(declaration: PersonalData, row: models.Model, changes: dict[str, Any]) -> None:
    manager = declaration.model.objects
    if declaration.files:
        _delete_files(declaration, manager.filter(pk=row.pk))
    try:
        with transaction.atomic():
            manager.filter(pk=row.pk).update(**changes)
    except IntegrityError:
        # The anonymised row already exists (a hashed suppression from an earlier erasure): keep that one.
        manager.filter(pk=row.pk).delete()


def _delete_files(declaration: PersonalData, queryset: QuerySet) -> None:
    """Delete the stored files of ``queryset``'s rows once the erasure commits (a rollback keeps them)."""
    for row in queryset.only("pk", *declaration.files) if declaration.files else ():
        for name in declaration.files:
            stored = getattr(row, name)
            if stored:
                storage, path = stored.storage, stored.name
                transaction.on_commit(lambda storage=storage, path=path: storage.delete(path))


# --- retention -------------------------------------------------------------------------------


def _expired_order_ids(*, shop: Shop, cutoff: datetime, limit: int) -> list[int]:
    orders = order_declaration()
    plain = [path for path in orders.activity_paths if "__" not in path]
    if not plain:
        raise ValueError(f"{orders.label}: activity_paths need one field of the order itself")
    base = F(plain[0])
    moments = [F(path) if "__" not in path else Coalesce(Max(path), base) for path in orders.activity_paths]
    still_personal = Q()
    for name in orders.fields:
        nullable = orders.model._meta.get_field(name).null  # e.g. when a consent was given
        still_personal |= Q(**{f"{name}__isnull": False} if nullable else {f"{name}__gt": ""})
    return list(
        _in_shop(orders, shop)
        .filter(still_personal)
        .annotate(last_activity=Greatest(*moments) if len(moments) > 1 else moments[0])
        .filter(last_activity__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def _erase_orders(*, shop: Shop, order_ids: list[int]) -> dict[str, int]:
    """Erase what follows these orders (not what an email finds: the customer may have newer orders)."""
    orders = order_declaration()
    needles: set[str] = set()
    for row in orders.model.objects.filter(pk__in=order_ids).values(*orders.identity_fields):
        needles.update(str(value) for value in row.values() if value)
    planned = [
        (declaration, _pks(_in_shop(declaration, shop).filter(**{f"{declaration.order_path}__in": order_ids})))
        for declaration in declarations()
        if declaration.order_path
    ]
    counts = {}
    for declaration, pks in planned:
        changed = _erase_rows(declaration, pks, needles)
        if changed:
            counts[declaration.label] = changed
    return counts


def _delete_expired_copies(*, shop: Shop, cutoff: datetime, limit: int) -> dict[str, int]:
    counts = {}
    for declaration in declarations():
        if not declaration.expires_field:
            continue
        expired = _in_shop(declaration, shop).filter(**{f"{declaration.expires_field}__lt": cutoff})
        pks = sorted(expired.order_by("pk").values_list("pk", flat=True)[:limit])
        if pks:
            _delete_files(declaration, declaration.model.objects.filter(pk__in=pks))
            declaration.model.objects.filter(pk__in=pks).delete()
            counts[declaration.label] = len(pks)
    return counts


# --- audit and export helpers ---------------------------------------------------------------


# Requests a person made are in the shop's audit log too; retention runs are the platform's own.
AUDITED_KINDS = {
    PrivacyKind.ERASE: AuditAction.CUSTOMER_DATA_ERASED,
    PrivacyKind.EXPORT: AuditAction.CUSTOMER_DATA_EXPORTED,
}


def _audit(*, shop: Shop, kind: str, subject: Subject, actor: Actor, counts: dict[str, int]) -> None:
    user = actor if isinstance(actor, AbstractBaseUser) else None
    if isinstance(actor, ApiKey):
        label = f"API key pf_{actor.prefix}"
    elif user is not None:
        label = f"user {user.get_username()}"
    else:
        label = actor or "system"
    subject_key = subject_hash(subject.email)
    PrivacyRequest.objects.create(
        shop=shop, kind=kind, subject=subject_key, actor=user, actor_label=label, counts=counts
    )
    if kind in AUDITED_KINDS:
        audit_record(shop=shop, actor=user, action=AUDITED_KINDS[kind], target=f"customer {subject_key[:16]} ({label})")


def _exported(declaration: PersonalData, row: models.Model) -> dict[str, Any]:
    if declaration.export_fields is not None:
        names = list(declaration.export_fields)
    else:
        names = [
            model_field.attname
            for model_field in declaration.model._meta.concrete_fields
            if not any(marker in model_field.name for marker in SECRET_MARKERS)
        ]
    values = {name: getattr(row, name) for name in names}
    return {name: value.name if isinstance(value, FieldFile) else value for name, value in values.items()}


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for label, count in counts.items():
        total[label] = total.get(label, 0) + count
