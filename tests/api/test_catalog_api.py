"""Products, discount codes and redemptions through the API (over the campaigns services)."""

from campaigns.models import DiscountCode, DiscountPool, DiscountRedemption, Product

PRODUCT = {"sku": "MUG-1", "name": "Kubek", "url": "https://shop.example/mug", "price": "49.00", "tags": ["gift"]}


def test_products_bulk_upsert_creates_then_updates(api, shop):
    # when
    created = api.post("/products/bulk", {"products": [PRODUCT, {**PRODUCT, "sku": "MUG-2"}]})
    updated = api.post("/products/bulk", {"products": [{**PRODUCT, "name": "Kubek duży"}]})
    # then
    assert created.status_code == 200
    assert created.json() == {"created": 2, "updated": 0, "unchanged": 0, "skipped": []}
    assert updated.json() == {"created": 0, "updated": 1, "unchanged": 0, "skipped": []}
    assert Product.objects.get(shop=shop, sku="MUG-1").name == "Kubek duży"


def test_products_bulk_with_one_bad_row_stores_nothing(api, shop):
    response = api.post("/products/bulk", {"products": [PRODUCT, {**PRODUCT, "sku": "B", "url": "not a url"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "products[1].url"
    assert not Product.objects.exists()


def test_products_unknown_field_refused(api):
    response = api.post("/products/bulk", {"products": [{**PRODUCT, "colour": "red"}]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "products[0].colour", "message": "Unknown field."}]


def test_products_are_per_shop(api, other_api, other_shop, shop):
    api.post("/products/bulk", {"products": [PRODUCT]})
    other_api.post("/products/bulk", {"products": [{**PRODUCT, "name": "Theirs"}]})
    assert Product.objects.get(shop=shop).name == "Kubek"
    assert Product.objects.get(shop=other_shop).name == "Theirs"


def test_upload_codes_into_own_pool(api, shop):
    # given
    pool = DiscountPool.objects.create(shop=shop, name="Welcome", kind="uploaded")
    # when
    response = api.post(f"/discount-pools/{pool.pk}/codes", {"codes": ["WELCOME-AAA1", "WELCOME-AAA2"]})
    listed = api.get("/discount-pools")
    # then
    assert response.status_code == 201
    assert response.json()["created"] == 2
    assert sorted(DiscountCode.objects.filter(pool=pool).values_list("code", flat=True)) == [
        "WELCOME-AAA1",
        "WELCOME-AAA2",
    ]
    assert listed.json() == [{"id": pool.pk, "name": "Welcome", "kind": "uploaded", "shared_code": ""}]


def test_upload_codes_into_another_shops_pool_is_404(api, other_shop):
    pool = DiscountPool.objects.create(shop=other_shop, name="Theirs", kind="uploaded")
    response = api.post(f"/discount-pools/{pool.pk}/codes", {"codes": ["STOLEN-123"]})
    assert response.status_code == 404
    assert not DiscountCode.objects.exists()


def test_duplicate_codes_are_refused_and_nothing_stored(api, shop):
    pool = DiscountPool.objects.create(shop=shop, name="Welcome", kind="uploaded")
    response = api.post(f"/discount-pools/{pool.pk}/codes", {"codes": ["DUP-123", "dup-123"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "codes[1].code"
    assert not DiscountCode.objects.exists()


def test_redemption_of_shared_code_is_recorded(api, shop):
    # given
    DiscountPool.objects.create(shop=shop, name="Autumn", kind="shared", shared_code="AUTUMN10")
    # when
    response = api.post(
        "/discount-redemptions",
        {"redemptions": [{"code": "AUTUMN10", "order_number": "PF-9", "amount": "12.50", "currency": "PLN"}]},
    )
    # then
    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert DiscountRedemption.objects.get(shop=shop).order_number == "PF-9"


def test_redemption_of_unknown_code_is_skipped(api, shop):
    response = api.post("/discount-redemptions", {"redemptions": [{"code": "NEVER-GIVEN", "order_number": "PF-1"}]})
    assert response.status_code == 200
    assert response.json()["skipped"] == [
        {"field": "redemptions[0].code", "message": "'NEVER-GIVEN' was not given out by Parcelfront"}
    ]
    assert not DiscountRedemption.objects.exists()


def test_redemption_with_naive_time_is_refused(api):
    response = api.post(
        "/discount-redemptions",
        {"redemptions": [{"code": "X-123", "order_number": "PF-1", "redeemed_at": "2026-11-02T10:00:00"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "redemptions[0].redeemed_at"
