"""The marketer's admin: tenant isolation, CSV imports, campaign set-up with validation, preview, results."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Campaign, CampaignContent, DiscountCode, DiscountPool, Product
from tests.campaigns.factories import (
    CampaignContentFactory,
    CampaignFactory,
    DiscountCodeFactory,
    DiscountPoolFactory,
    ProductFactory,
)
from tests.factories import MembershipFactory, OrderFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    """Shops A and B, each with a marketer, a product, a pool with a code, a campaign and an order."""
    shops = {}
    for label in ("a", "b"):
        shop = ShopFactory(slug=f"shop-{label}", name=f"Shop {label.upper()}", locale="pl")
        pool = DiscountPoolFactory(shop=shop, name=f"Pool {label}")
        DiscountCodeFactory(pool=pool, code=f"{label.upper()}-CODE-1")
        campaign = CampaignFactory(shop=shop, name=f"Campaign {label}", discount_pool=pool)
        CampaignContentFactory(campaign=campaign, language="pl")
        shops[label] = {
            "shop": shop,
            "marketer": MembershipFactory(shop=shop, role="marketer").user,
            "support": MembershipFactory(shop=shop, role="support").user,
            "product": ProductFactory(shop=shop, sku=f"{label.upper()}-1"),
            "pool": pool,
            "campaign": campaign,
            "order": OrderFactory(shop=shop, number=f"{label.upper()}-100"),
        }
    return shops


def _url(obj, view):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.parametrize("kind", ["campaign", "product", "pool"])
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_marketer_of_a_gets_404_on_shop_bs_objects(client, world, kind, view):
    client.force_login(world["a"]["marketer"])

    response = client.get(_url(world["b"][kind], view))

    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["campaign", "product", "pool"])
def test_marketer_can_open_their_own_objects(client, world, kind):
    client.force_login(world["a"]["marketer"])

    assert client.get(_url(world["a"][kind], "change")).status_code == 200


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("campaigns_campaign_preview", "campaign"),
        ("campaigns_discountpool_generate", "pool"),
        ("campaigns_discountpool_upload", "pool"),
    ],
)
def test_extra_views_of_shop_b_are_404(client, world, name, kind):
    client.force_login(world["a"]["marketer"])

    response = client.get(reverse(f"admin:{name}", args=[world["b"][kind].pk]))

    assert response.status_code == 404


def test_lists_show_only_the_marketers_shop(client, world):
    client.force_login(world["a"]["marketer"])

    products = client.get(reverse("admin:campaigns_product_changelist")).content.decode()
    campaigns = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()

    assert "A-1" in products and "B-1" not in products
    assert "Campaign a" in campaigns and "Campaign b" not in campaigns


def test_support_has_no_access_to_campaigns(client, world):
    client.force_login(world["a"]["support"])

    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 403
    assert client.get(_url(world["a"]["campaign"], "change")).status_code == 404
    assert client.get(reverse("admin:campaigns_product_import")).status_code == 403


def test_pool_choices_are_limited_to_the_marketers_shop(client, world):
    client.force_login(world["a"]["marketer"])

    page = client.get(reverse("admin:campaigns_campaign_add")).content.decode()

    assert "Pool a" in page and "Pool b" not in page
    assert "Shop B" not in page


def _campaign_post(shop, **overrides):
    data = {
        "shop": shop.pk,
        "name": "Review request",
        "slug": "review-request",
        "kind": "standard",
        "status": "active",
        "priority": "0",
        "variants": "A:50, B:50",
        "trigger_type": "delay_after_status",
        "trigger_status": "delivered",
        "delay_hours": "72",
        "customer_type": "any",
        "require_marketing_consent": "on",
        "send_email": "on",
        "show_banner": "on",
        "show_products": "on",
        "max_products": "4",
        "page_discount": "existing",
        "frequency_cap_count": "1",
        "frequency_cap_days": "7",
        "contents-TOTAL_FORMS": "2",
        "contents-INITIAL_FORMS": "0",
        "contents-MIN_NUM_FORMS": "0",
        "contents-MAX_NUM_FORMS": "1000",
        "contents-0-variant": "A",
        "contents-0-language": "pl",
        "contents-0-subject": "Jak się podoba, {{ first_name }}?",
        "contents-0-body_markdown": "Oceń zakup.",
        "contents-1-variant": "B",
        "contents-1-language": "pl",
        "contents-1-subject": "Oceń zamówienie {{ order_number }}",
        "contents-1-body_markdown": "Zostaw opinię.",
    }
    data.update(overrides)
    return data


def test_marketer_sets_up_a_campaign_with_variants_and_content(client, world):
    shop = world["a"]["shop"]
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_campaign_add"), _campaign_post(shop, discount_pool=world["a"]["pool"].pk)
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(slug="review-request")
    assert (campaign.shop_id, campaign.variants, campaign.delay_hours, campaign.discount_pool_id) == (
        shop.pk,
        "A:50, B:50",
        72,
        world["a"]["pool"].pk,
    )
    assert sorted(CampaignContent.objects.filter(campaign=campaign).values_list("variant", "language")) == [
        ("A", "pl"),
        ("B", "pl"),
    ]


def test_forged_post_with_another_shops_pool_is_refused(client, world):
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_campaign_add"),
        _campaign_post(world["a"]["shop"], discount_pool=world["b"]["pool"].pk),
    )

    assert response.status_code == 200
    assert not Campaign.objects.filter(slug="review-request").exists()


def test_forged_post_into_another_shop_is_refused(client, world):
    client.force_login(world["a"]["marketer"])

    response = client.post(reverse("admin:campaigns_campaign_add"), _campaign_post(world["b"]["shop"]))

    assert response.status_code == 200
    assert not Campaign.objects.filter(slug="review-request").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trigger_status": ""}, "Choose the parcel status that triggers the email."),
        ({"delay_hours": "0"}, "Give the delay in hours"),
        ({"variants": "A:50, A:50"}, "variant &#x27;A&#x27; is listed twice"),
        ({"send_email": "", "show_on_page": ""}, "Choose where the campaign appears"),
        ({"contents-1-variant": "C"}, "variant &#x27;C&#x27; is not one of the campaign&#x27;s variants"),
        ({"contents-0-subject": "Hi {{ password }}"}, "placeholders:"),
        ({"contents-0-cta_text": "Go"}, "a call to action needs both its text and its link"),
        ({"contents-1-language": "en"}, "Variant B has no content in the shop&#x27;s language (pl)"),
        ({"contents-0-subject": ""}, "an email campaign needs a subject"),
        ({"countries": "Poland"}, "Use two-letter ISO codes"),
        ({"carriers": "pigeon"}, "Unknown carrier(s) pigeon"),
    ],
)
def test_invalid_campaigns_get_clear_errors_and_store_nothing(client, world, overrides, message):
    client.force_login(world["a"]["marketer"])

    response = client.post(reverse("admin:campaigns_campaign_add"), _campaign_post(world["a"]["shop"], **overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.filter(slug="review-request").exists()


def test_preview_on_a_real_order_stores_nothing(client, world):
    campaign = world["a"]["campaign"]
    client.force_login(world["a"]["marketer"])

    response = client.get(_url(campaign, "preview"), {"order": "A-100"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "#A-100" in page
    assert "Dziękujemy za zakupy" in page
    assert "A-CODE-1 or the next free one" in page
    assert DiscountCode.objects.filter(allocated_at__isnull=False).count() == 0


def test_preview_refuses_orders_of_another_shop(client, world):
    client.force_login(world["a"]["marketer"])

    response = client.get(_url(world["a"]["campaign"], "preview"), {"order": "B-100"})

    assert "No order #B-100 in Shop A" in response.content.decode()
    assert "#B-100</strong>" not in response.content.decode()


def test_results_are_shown_with_a_chart(client, world):
    client.force_login(world["a"]["marketer"])

    page = client.get(_url(world["a"]["campaign"], "change")).content.decode()

    assert "<svg" in page and "Codes given" in page


def _csv(text):
    return SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")


def test_product_csv_dry_run_then_apply(client, world):
    shop = world["a"]["shop"]
    client.force_login(world["a"]["marketer"])
    url = reverse("admin:campaigns_product_import")
    body = "sku,name,url,price\nNEW-1,Kubek,https://shop.example/k,19.99\n"

    checked = client.post(url, {"shop": shop.pk, "file": _csv(body), "dry_run": "on"})
    assert "Check passed: 1 new" in checked.content.decode()
    assert not Product.objects.filter(sku="NEW-1").exists()

    applied = client.post(url, {"shop": shop.pk, "file": _csv(body)})
    assert "Stored: 1 new" in applied.content.decode()
    assert Product.objects.get(sku="NEW-1").shop_id == shop.pk


def test_bad_product_csv_reports_rows_and_changes_nothing(client, world):
    shop = world["a"]["shop"]
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_product_import"),
        {"shop": shop.pk, "file": _csv("sku,name,url\nOK,Fine,https://shop.example/ok\nBAD,,notaurl\n")},
    )

    page = response.content.decode()
    assert "Nothing was stored" in page
    assert "&#x27;notaurl&#x27; is not an http(s) URL" in page
    assert not Product.objects.filter(sku__in=["OK", "BAD"]).exists()


def test_product_csv_cannot_target_another_shop(client, world):
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_product_import"),
        {"shop": world["b"]["shop"].pk, "file": _csv("sku,name,url\nX,Y,https://shop.example/x\n")},
    )

    assert "Select a valid choice" in response.content.decode()
    assert not Product.objects.filter(sku="X").exists()


def test_generate_codes_from_the_admin(client, world):
    pool = world["a"]["pool"]
    client.force_login(world["a"]["marketer"])

    response = client.post(_url(pool, "generate"), {"pattern": "THX-??????", "count": "25"})

    assert response.status_code == 302
    assert DiscountCode.objects.filter(pool=pool, code__startswith="THX-").count() == 25


def test_low_pool_warning_on_the_list(client, world):
    client.force_login(world["a"]["marketer"])

    page = client.get(reverse("admin:campaigns_discountpool_changelist")).content.decode()

    assert "Discount pool &#x27;Pool a&#x27; (Shop A) is running low: 1 codes left" in page
    assert "Pool b" not in page


def test_delay_apology_is_set_up_in_one_step(client, world):
    shop = world["a"]["shop"]
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_campaign_delay_apology"),
        {"shop": shop.pk, "code_count": "40", "discount_description": "15% off", "valid_days": "30"},
    )

    campaign = Campaign.objects.get(shop=shop, slug="delay-apology")
    assert response.status_code == 302
    assert (campaign.status, campaign.trigger_type, campaign.discount_pool.codes.count()) == (
        "active",
        "late_or_exception",
        40,
    )
    assert sorted(campaign.contents.values_list("language", flat=True)) == ["cs", "de", "en", "pl", "sk"]
    assert DiscountPool.objects.filter(shop=world["b"]["shop"], name="Delay apology vouchers").count() == 0


def test_redemptions_csv_import(client, world):
    from campaigns.discounts import discount_code_allocate

    shop = world["a"]["shop"]
    discount_code_allocate(pool=world["a"]["pool"], order=world["a"]["order"], campaign=world["a"]["campaign"])
    client.force_login(world["a"]["marketer"])

    response = client.post(
        reverse("admin:campaigns_discountredemption_import"),
        {"shop": shop.pk, "file": _csv("code;order_number;amount\nA-CODE-1;5001;99,00\n")},
    )

    assert "Stored: 1 new" in response.content.decode()
    assert shop.discount_redemptions.get().campaign_id == world["a"]["campaign"].pk


def test_list_filters_never_name_other_shops(client, world):
    client.force_login(world["a"]["marketer"])

    for name in ("product", "campaign", "discountpool", "discountcode", "discountredemption", "click"):
        page = client.get(reverse(f"admin:campaigns_{name}_changelist")).content.decode()
        assert "Shop B" not in page, name
        assert "Campaign b" not in page, name


def test_marketer_edits_a_campaign_and_its_content(client, world):
    campaign = world["a"]["campaign"]
    content = campaign.contents.get()
    client.force_login(world["a"]["marketer"])
    page = client.get(_url(campaign, "change"))
    form = page.context["adminform"].form
    data = {
        name: ("on" if value is True else "" if value is None or value is False else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(
        {
            "discount_pool": world["a"]["pool"].pk,
            "status": "paused",
            "contents-TOTAL_FORMS": "1",
            "contents-INITIAL_FORMS": "1",
            "contents-MIN_NUM_FORMS": "0",
            "contents-MAX_NUM_FORMS": "1000",
            "contents-0-id": content.pk,
            "contents-0-campaign": campaign.pk,
            "contents-0-variant": "A",
            "contents-0-language": "pl",
            "contents-0-subject": "Nowy temat",
            "contents-0-body_markdown": "Treść",
        }
    )
    data = {key: value for key, value in data.items() if value != ""}

    response = client.post(_url(campaign, "change"), data)

    assert response.status_code == 302
    campaign.refresh_from_db()
    content.refresh_from_db()
    assert (campaign.status, content.subject) == ("paused", "Nowy temat")
