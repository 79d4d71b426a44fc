"""Erasing a customer takes their return notes and photos too; what was returned and why stays."""

from datetime import date

from django.core.files.base import ContentFile
from django.utils import timezone

from returns.models import ReturnItem, ReturnRequest
from shops.privacy_services import customer_erase


def test_erasing_a_customer_blanks_the_note_and_deletes_the_photo_file(
    shop, owner, delivered_order, return_setup, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a return with the customer's note and a stored photo
    settings.MEDIA_ROOT = str(tmp_path)
    order, mug = delivered_order["order"], delivered_order["mug"]
    request = ReturnRequest.objects.create(
        shop=shop,
        order=order,
        resolution="refund",
        method="self_send",
        customer_note="Anna, ring twice please",
        deadline=date(2026, 12, 4),
        state_changed_at=timezone.now(),
    )
    item = ReturnItem(return_request=request, order_item=mug, sku="MUG", name="Mug", quantity=1,
                      reason=return_setup["damaged"])  # fmt: skip
    item.photo.save("crack.png", ContentFile(b"png-bytes"), save=True)
    stored = tmp_path / item.photo.name
    assert stored.exists()

    # when the owner erases the customer
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(shop=shop, email=order.customer_email, actor=owner)

    # then the note and the photo are gone, the returned item and its reason stay
    request.refresh_from_db()
    item.refresh_from_db()
    assert (request.customer_note, item.photo.name) == ("", "")
    assert not stored.exists()
    assert (item.quantity, item.reason_id, request.resolution) == (1, return_setup["damaged"].pk, "refund")


def test_erasing_a_customer_deletes_the_return_label_pdf(
    shop, owner, delivered_order, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a return whose label (the customer's name and address) was uploaded
    settings.MEDIA_ROOT = str(tmp_path)
    order = delivered_order["order"]
    request = ReturnRequest.objects.create(
        shop=shop,
        order=order,
        resolution="refund",
        method="label",
        deadline=date(2026, 12, 4),
        state_changed_at=timezone.now(),
    )
    request.label_file.save("0123456789abcdef0123456789abcdef.pdf", ContentFile(b"%PDF-1.4"), save=True)
    stored = tmp_path / request.label_file.name
    assert stored.exists()

    # when the owner erases the customer
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(shop=shop, email=order.customer_email, actor=owner)

    # then the file and the reference to it are gone, the return itself stays
    request.refresh_from_db()
    assert (request.label_file.name, request.method) == ("", "label")
    assert not stored.exists()
