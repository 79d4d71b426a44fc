"""Model constraints, public-token entropy, API keys, createshop and branding validation."""

import base64
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from PIL import Image

from shipments.models import Order, Shipment, new_public_token
from shops.branding import contrast_ratio, readable_text_on
from shops.models import ApiKey, Membership, Shop
from shops.services import api_key_authenticate, api_key_create, api_key_revoke
from shops.validators import validate_brand_image
from tests.factories import MembershipFactory, OrderFactory, ShipmentFactory, TrackingEventFactory, UserFactory


def test_public_tokens_carry_at_least_128_bits_and_do_not_repeat():
    tokens = {new_public_token() for _ in range(5000)}
    assert len(tokens) == 5000
    decoded = base64.urlsafe_b64decode(next(iter(tokens)) + "==")
    assert len(decoded) * 8 >= 128


def test_order_number_is_unique_per_shop_but_not_across_shops(shop, other_shop):
    OrderFactory(shop=shop, number="1001")
    OrderFactory(shop=other_shop, number="1001")
    with pytest.raises(IntegrityError):
        OrderFactory(shop=shop, number="1001")


def test_same_tracking_number_twice_on_one_order_is_refused(shop):
    shipment = ShipmentFactory(order__shop=shop)
    with pytest.raises(IntegrityError):
        ShipmentFactory(order=shipment.order, carrier=shipment.carrier, tracking_number=shipment.tracking_number)


def test_event_dedupe_key_is_unique_per_shipment_only(shop):
    first = TrackingEventFactory(shipment__order__shop=shop, dedupe_key="k" * 64)
    TrackingEventFactory(shipment__order__shop=shop, dedupe_key="k" * 64)
    with pytest.raises(IntegrityError):
        TrackingEventFactory(shipment=first.shipment, dedupe_key="k" * 64)


def test_one_membership_per_user_and_shop(shop):
    membership = MembershipFactory(shop=shop)
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=membership.user, shop=shop, role="support")


def test_orders_and_shipments_get_distinct_tokens(shop):
    shipments = [ShipmentFactory(order__shop=shop) for _ in range(3)]
    tokens = [s.public_token for s in shipments] + [s.order.public_token for s in shipments]
    assert len(set(tokens)) == 6
    assert all(len(token) >= 32 for token in tokens)


def test_api_key_is_stored_hashed_and_authenticates(shop):
    issued = api_key_create(shop=shop, name="shop backend")
    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert issued.raw_key.startswith(f"pf_{stored.prefix}_")
    assert issued.raw_key not in (stored.key_hash, stored.prefix)
    assert api_key_authenticate(raw_key=issued.raw_key) == stored
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(
    "mangle", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), lambda k: "pf_x_y", lambda k: ""]
)
def test_wrong_api_keys_are_refused(shop, mangle):
    issued = api_key_create(shop=shop, name="k")
    assert api_key_authenticate(raw_key=mangle(issued.raw_key)) is None


def test_revoked_key_and_inactive_shop_are_refused(shop):
    issued = api_key_create(shop=shop, name="k")
    api_key_revoke(api_key=issued.api_key)
    assert api_key_authenticate(raw_key=issued.raw_key) is None
    second = api_key_create(shop=shop, name="k2")
    Shop.objects.filter(pk=shop.pk).update(is_active=False)
    assert api_key_authenticate(raw_key=second.raw_key) is None


def test_createshop_prints_the_key_once_and_it_works(db, capsys):
    call_command("createshop", "kawa", "--name", "Kawa", "--owner-email", "Owner@Kawa.example")
    out = capsys.readouterr().out
    raw_key = out.split("store it now): ")[1].strip()
    shop = Shop.objects.get(slug="kawa")
    assert api_key_authenticate(raw_key=raw_key).shop == shop
    assert Membership.objects.get(shop=shop).user.email == "owner@kawa.example"
    assert Membership.objects.get(shop=shop).role == "owner"


def test_createshop_with_taken_slug_is_an_error_and_changes_nothing(shop):
    counts = (Shop.objects.count(), ApiKey.objects.count(), Membership.objects.count())
    with pytest.raises(CommandError, match=r"slug: The slug .* is taken"):
        call_command("createshop", shop.slug, "--name", "Again", "--owner-email", "new@example.com")
    assert (Shop.objects.count(), ApiKey.objects.count(), Membership.objects.count()) == counts
    assert not UserFactory._meta.model.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--name", "X", "--owner-email", "a@b.example", "--timezone", "Mars/Base"], "not a known time zone"),
        (["x2", "--name", "X", "--owner-email", "not-an-email"], "owner_email: .not-an-email. is not a valid"),
        (["no spaces!", "--name", "X", "--owner-email", "a@b.example"], "slug"),
    ],
)
def test_createshop_bad_values_are_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("createshop", *args)
    assert Shop.objects.count() == 0


def test_createshop_without_required_arguments_is_a_usage_error(db):
    with pytest.raises(CommandError, match="required: --name, --owner-email"):
        call_command("createshop", "x")


def _png(size=(10, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_brand_image_accepts_png():
    validate_brand_image(SimpleUploadedFile("logo.png", _png(), content_type="image/png"))


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'/>"), "svg_refused"),
        (SimpleUploadedFile("logo.png", b"<svg onload='alert(1)'/>"), "invalid_image"),
        (SimpleUploadedFile("logo.png", b"x" * (1024 * 1024 + 1)), "image_too_large"),
        (SimpleUploadedFile("logo.png", _png((5000, 4000))), "image_too_big"),
    ],
)
def test_brand_image_refuses_svg_fakes_and_oversize(upload, code):
    with pytest.raises(ValidationError) as error:
        validate_brand_image(upload)
    assert error.value.code == code


def test_shop_colour_must_be_hex(shop):
    shop.primary_color = "red; background:url(x)"
    with pytest.raises(ValidationError) as error:
        shop.full_clean()
    assert "primary_color" in error.value.message_dict


def test_contrast_helpers_follow_wcag():
    assert round(contrast_ratio("#000000", "#FFFFFF"), 1) == 21.0
    assert readable_text_on("#FFEB3B") == "#111111"
    assert readable_text_on("#1F4E79") == "#FFFFFF"


def test_owner_saving_low_contrast_colours_gets_a_warning(client, shop, owner):
    client.force_login(owner)
    from django.urls import reverse

    url = reverse("admin:shops_shop_change", args=[shop.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"logo", "favicon", "banner_image"}
    }
    for inline in page.context["inline_admin_formsets"]:  # the shop's closures: posted back unchanged
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    data.update({"text_color": "#EEEEEE", "background_color": "#FFFFFF"})
    response = client.post(url, data, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert any("below the WCAG AA minimum" in message for message in messages)
    shop.refresh_from_db()
    assert shop.text_color == "#EEEEEE"


def test_order_shipments_relation_is_consistent(shop):
    shipment = ShipmentFactory(order__shop=shop)
    assert shipment.shop_id == shipment.order.shop_id
    assert Order.objects.get(pk=shipment.order_id).shipments.get() == Shipment.objects.get(pk=shipment.pk)
