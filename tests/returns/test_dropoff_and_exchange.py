"""Drop-off points beside the InPost code (page, email, form), exchanges for a catalog product, credit with a bonus."""

from decimal import Decimal

import httpx
import pytest
import time_machine

from campaigns.models import DiscountCode, DiscountPool, Product
from notifications.content import template_email_render
from notifications.models import Message
from returns import dropoff
from returns.links import return_start_token
from returns.methods import inpost_returns_client, return_code_issue
from returns.models import ReturnItem, ReturnRequest, ReturnSettings, ReturnState
from returns.services import ReturnLine, return_approve, return_receive, return_request_create, return_resolve
from tests.factories import ShopFactory
from tests.returns.conftest import NOW
from tests.returns.test_methods import inpost_answers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def start_url(order) -> str:
    return f"/{order.shop.slug}/returns/start/{return_start_token(order=order)}"


def issued_inpost_return(delivered_order, return_setup, settings):
    settings.CARRIER_ENV = {"CARRIER_INPOST_RETURNS_BASE_URL": "https://returns.inpost.test"}
    mug = delivered_order["mug"]
    return_request = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="inpost_code",
        now=NOW,
    )
    return_approve(return_request=return_request, now=NOW)
    return return_code_issue(
        return_request_id=return_request.pk,
        client=inpost_returns_client(transport=httpx.MockTransport(inpost_answers)),
        now=NOW,
    )


def test_the_code_page_and_email_list_the_nearest_lockers_with_hours_and_map_links(
    client, delivered_order, return_setup, settings
):
    issued = issued_inpost_return(delivered_order, return_setup, settings)

    assert [point["id"] for point in issued.dropoff_points] == ["WAW22A", "WAW301M", "WAW99X"]
    page = client.get(f"/returns/{issued.public_token}?lang=en").content.decode()
    assert "Nearest drop-off points" in page
    assert "Paczkomat WAW22A" in page and "pn-sob 9-21, nd 10-20" in page and "(612 m)" in page
    assert 'href="https://www.openstreetmap.org/?mlat=52.22977&amp;mlon=21.01178#map=18/52.22977/21.01178"' in page
    # The page loads nothing from the carrier or the map: the points are text and plain links.
    assert "easypack24" not in page and "<iframe" not in page
    message = Message.objects.get(trigger_kind="return_label_issued")
    rendered = template_email_render(
        shop=message.shop, template=message.template, language="en", context=message.context, unsubscribe_url=""
    )
    assert "Paczkomat WAW301M (612 m): Złota 59, 00-120 Warszawa" in rendered.text
    assert "Opening hours: 24/7" in rendered.text
    assert "https://www.openstreetmap.org/?mlat=52.23241" in rendered.html


def test_the_points_api_down_still_issues_the_code_without_points(delivered_order, return_setup, settings, monkeypatch):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    monkeypatch.setattr(dropoff, "inpost_points_client", lambda: httpx.Client(transport=httpx.MockTransport(down)))

    issued = issued_inpost_return(delivered_order, return_setup, settings)

    assert (issued.state, issued.return_code, issued.dropoff_points) == (ReturnState.LABEL_ISSUED, "4821 9350", [])


def test_the_form_lists_the_points_once_per_postcode_and_none_abroad(client, delivered_order, monkeypatch):
    calls = []
    real_client = dropoff.inpost_points_client

    def counting_client() -> httpx.Client:
        calls.append(1)
        return real_client()

    monkeypatch.setattr(dropoff, "inpost_points_client", counting_client)
    order = delivered_order["order"]

    first = client.get(start_url(order) + "?lang=en").content.decode()
    second = client.get(start_url(order) + "?lang=en").content.decode()

    assert "Paczkomat WAW22A" in first and "Paczkomat WAW22A" in second
    assert len(calls) == 1
    order.shipping_country = "CZ"
    order.save()
    assert "Nearest drop-off points" not in client.get(start_url(order) + "?lang=en").content.decode()


@pytest.fixture
def catalog(shop):
    Product.objects.create(shop=shop, sku="MUG-L", name="Mug, large", url="https://shop.test/mug-l", category="mugs")
    Product.objects.create(shop=shop, sku="CUP", name="Cup", url="https://shop.test/cup", category="cups")
    other = ShopFactory()
    Product.objects.create(shop=other, sku="FOREIGN", name="Other shop's mug", url="https://o.test/m", category="mugs")


def test_the_customer_picks_the_exchange_product_in_the_portal(client, delivered_order, return_setup, catalog):
    order, mug = delivered_order["order"], delivered_order["mug"]
    mug.category = "mugs"
    mug.save()
    form = client.get(start_url(order) + "?lang=en").content.decode()
    assert '<option value="MUG-L">Mug, large</option>' in form
    assert "FOREIGN" not in form and '"CUP"' not in form

    response = client.post(
        start_url(order),
        {
            f"qty-{mug.pk}": "1",
            f"reason-{mug.pk}": str(return_setup["size"].pk),
            f"exchange-{mug.pk}": "MUG-L",
            "resolution": "exchange",
            "method": "self_send",
        },
    )

    assert response.status_code == 303
    item = ReturnItem.objects.get()
    assert (item.exchange_sku, item.exchange_name) == ("MUG-L", "Mug, large")
    page = client.get(response["Location"].replace("lang=pl", "lang=en")).content.decode()
    assert "In exchange for: Mug, large" in page


@pytest.mark.parametrize(
    ("exchange_sku", "message"),
    [("", "Choose what you would like instead."), ("FOREIGN", "This product is not available for an exchange.")],
)
def test_an_exchange_without_a_valid_product_stores_nothing(
    delivered_order, return_setup, catalog, exchange_sku, message
):
    from django.core.exceptions import ValidationError

    mug = delivered_order["mug"]
    mug.category = "mugs"
    mug.save()

    with pytest.raises(ValidationError) as refused:
        return_request_create(
            order=delivered_order["order"],
            lines=[
                ReturnLine(
                    order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk, exchange_sku=exchange_sku
                )
            ],
            resolution="exchange",
            method="self_send",
            now=NOW,
        )

    assert refused.value.message_dict == {"items[0].exchange": [message]}
    assert (ReturnRequest.objects.count(), ReturnItem.objects.count(), Message.objects.count()) == (0, 0, 0)


def test_a_refund_ignores_an_exchange_choice(delivered_order, return_setup, catalog):
    mug = delivered_order["mug"]

    return_request = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk, exchange_sku="CUP")],
        resolution="refund",
        method="self_send",
        now=NOW,
    )

    assert return_request.items.get().exchange_sku == ""


def test_store_credit_is_worth_what_arrived_plus_the_shops_bonus(delivered_order, return_setup):
    shop = delivered_order["order"].shop
    pool = DiscountPool.objects.create(shop=shop, name="Store credit")
    DiscountCode.objects.create(pool=pool, code="CREDIT-10")
    ReturnSettings.objects.filter(shop=shop).update(store_credit_pool=pool, store_credit_bonus_percent=10)
    mug = delivered_order["mug"]  # 49.00 each
    return_request = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=3, reason_id=return_setup["size"].pk)],
        resolution="store_credit",
        method="self_send",
        now=NOW,
    )
    return_approve(return_request=return_request, now=NOW)
    item = return_request.items.get()
    return_receive(return_request=return_request, quantities={item.pk: 2}, now=NOW)

    resolved = return_resolve(return_request=return_request, now=NOW)

    assert (resolved.store_credit_code, resolved.store_credit_amount) == ("CREDIT-10", Decimal("107.80"))
    context = Message.objects.get(trigger_kind="return_resolved").context
    assert context["store_credit_amount"] == "107,80\xa0zł"
    rendered = template_email_render(
        shop=shop, template="return_resolved", language="en", context=context, unsubscribe_url=""
    )
    assert "Credit: 107,80\xa0zł" in rendered.text


def test_a_second_credited_return_of_one_order_never_repeats_the_code(delivered_order, return_setup):
    from django.core.exceptions import ValidationError

    shop = delivered_order["order"].shop
    pool = DiscountPool.objects.create(shop=shop, name="Store credit")
    DiscountCode.objects.create(pool=pool, code="CREDIT-A")
    DiscountCode.objects.create(pool=pool, code="CREDIT-B")
    ReturnSettings.objects.filter(shop=shop).update(store_credit_pool=pool)
    mug = delivered_order["mug"]
    returns = []
    for _ in range(2):
        return_request = return_request_create(
            order=delivered_order["order"],
            lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
            resolution="store_credit",
            method="self_send",
            now=NOW,
        )
        return_approve(return_request=return_request, now=NOW)
        return_receive(return_request=return_request, now=NOW)
        returns.append(return_request)
    return_resolve(return_request=returns[0], now=NOW)

    with pytest.raises(ValidationError) as refused:
        return_resolve(return_request=returns[1], now=NOW)

    assert "already has store credit code CREDIT-A" in refused.value.message_dict["resolution"][0]
    second = ReturnRequest.objects.get(pk=returns[1].pk)
    assert (second.state, second.store_credit_code) == (ReturnState.RECEIVED, "")
