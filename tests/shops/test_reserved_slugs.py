"""Shop slugs that would shadow the platform's own paths are refused on create and rename."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models.fields.files import FieldFile
from django.urls import reverse

from shops.models import Shop
from shops.services import shop_create
from shops.slugs import reserved_slugs


@pytest.mark.parametrize(
    "slug",
    ["admin", "api", "webhooks", "static", "media", "healthz", "readyz", "metrics", "t", "p", "r", "f", "track",
     "returns", "staff", "portal", "email", "Admin"],
)  # fmt: skip
def test_shop_create_refuses_reserved_slugs_and_stores_nothing(db, slug):
    with pytest.raises(ValidationError) as raised:
        shop_create(name="Shadow", slug=slug, owner_email="shadow@example.com")
    assert "reserved_slug" in {error.code for error in raised.value.error_dict["slug"]}
    assert not Shop.objects.exists()


def test_every_first_segment_of_the_urlconf_is_reserved():
    # /staff/ and /portal/ come from the URLconf, not from the fixed list: new routes are covered as they land
    assert {"admin", "api", "staff", "portal", "email", "webhooks", "t", "p", "r", "track"} <= reserved_slugs()
    assert "kawiarnia-ziarno" not in reserved_slugs()


def test_createshop_with_a_reserved_slug_is_a_clear_error(db):
    with pytest.raises(CommandError, match=r"slug: .*reserved for the platform"):
        call_command("createshop", "api", "--name", "X", "--owner-email", "x@example.com")
    assert not Shop.objects.exists()


def test_renaming_a_shop_to_a_reserved_slug_is_a_form_error(client, shop, superuser):
    # Given a platform operator (only they may change slugs) on the shop's admin page
    client.force_login(superuser)
    url = reverse("admin:shops_shop_change", args=[shop.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value for name, value in form.initial.items() if value is not None and not isinstance(value, FieldFile)
    }
    data["slug"] = "webhooks"
    # When they rename it to a path of ours
    response = client.post(url, data)
    # Then the form says why and the slug stays
    assert response.status_code == 200
    assert "reserved for the platform" in str(response.context["adminform"].form.errors["slug"])
    shop.refresh_from_db()
    assert shop.slug != "webhooks"
