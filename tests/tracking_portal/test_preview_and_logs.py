"""The admin's live preview (tenant-checked) and the token-masking log filter."""

import logging

import pytest

from tests.factories import MembershipFactory
from tracking_portal.samples import SCENARIOS
from tracking_portal.security import TokenMaskingFilter, mask_tokens

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["pl", "en", "de", "cs", "sk"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_owner_previews_every_scenario_in_every_language(client, shop, other_shop, owner, language, scenario):
    client.force_login(owner)

    response = client.get(f"/portal/preview/{shop.pk}/?lang={language}&scenario={scenario}")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert "Preview with sample data" in page
    assert f'<span class="shop-name">{shop.name}</span>' in page
    assert other_shop.name not in page


def test_preview_shows_every_marketing_slot_with_sample_data(client, shop, marketer):
    client.force_login(marketer)

    page = client.get(f"/portal/preview/{shop.pk}/?lang=en&scenario=delivered").content.decode()

    assert "THANKS-10" in page
    assert "Espresso cup set" in page
    assert "How likely are you to recommend us to a friend?" in page  # the shop asks for NPS by default
    assert "Ceramic mug, 350 ml" in page


def test_member_of_another_shop_cannot_preview(client, shop, other_shop):
    stranger = MembershipFactory(shop=other_shop, role="owner").user
    client.force_login(stranger)

    response = client.get(f"/portal/preview/{shop.pk}/")

    assert response.status_code == 404
    assert shop.name not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_admin_login(client, shop):
    response = client.get(f"/portal/preview/{shop.pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_superuser_previews_any_shop(client, shop, other_shop, superuser):
    client.force_login(superuser)

    response = client.get(f"/portal/preview/{other_shop.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<span class="shop-name">{other_shop.name}</span>' in page
    assert shop.name not in page


def test_shop_admin_links_to_the_preview(client, shop, owner):
    client.force_login(owner)

    page = client.get(f"/admin/shops/shop/{shop.pk}/change/").content.decode()

    assert f"/portal/preview/{shop.pk}/?lang=de" in page


def test_tokens_are_masked_in_paths():
    token = "Q2lyY2xlIG9mIGxpZmUgdG9rZW4tMTIzNDU2Nzg5"

    assert mask_tokens(f"GET /t/{token}?lang=pl HTTP/1.1") == "GET /t/[token]?lang=pl HTTP/1.1"
    assert mask_tokens(f"/t/{token}.json") == "/t/[token].json"
    assert mask_tokens(f"/p/{token}/go/carrier") == "/p/[token]/go/carrier"
    assert mask_tokens(f"POST /m/{token}/ HTTP/1.1") == "POST /m/[token]/ HTTP/1.1"  # message settings
    assert mask_tokens("/track") == "/track"


def test_log_filter_masks_tokens_in_formatted_records():
    # given a gunicorn-style access record with the path in its arguments
    token = "Q2lyY2xlIG9mIGxpZmUgdG9rZW4tMTIzNDU2Nzg5"
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', None, None)
    record.args = {"h": "203.0.113.5", "r": f"GET /t/{token} HTTP/1.1", "s": "200"}

    # when the filter runs
    kept = TokenMaskingFilter().filter(record)

    # then the record is kept and the token is gone
    assert kept is True
    assert record.getMessage() == '203.0.113.5 "GET /t/[token] HTTP/1.1" 200'


def test_the_filter_is_installed_on_the_request_loggers():
    for name in ("django.server", "django.request", "gunicorn.access"):
        assert any(isinstance(item, TokenMaskingFilter) for item in logging.getLogger(name).filters)


def test_a_404_for_a_token_is_logged_without_the_token(client, caplog):
    token = "Q2lyY2xlIG9mIGxpZmUgdG9rZW4tMTIzNDU2Nzg5"

    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(f"/t/{token}/go/carrier/1")

    assert token not in caplog.text


def test_preview_tries_unsaved_colours_and_warns_about_contrast(client, shop, owner):
    client.force_login(owner)

    page = client.get(
        f"/portal/preview/{shop.pk}/?lang=en&text_color=%23CCCCCC&primary_color=%230B6E4F&font=classical&accent_color=bad"
    ).content.decode()

    shop.refresh_from_db()
    assert "--pf-primary:#0B6E4F" in page
    assert "--pf-text:#111111" in page  # unreadable grey text replaced
    assert "Text colour on the background colour has a contrast of" in page
    assert "Palatino" in page
    assert "bad" not in page.split("<main")[0].split("<style>")[1].split("</style>")[0]
    assert (shop.primary_color, shop.text_color, shop.font) == ("#1F4E79", "#1C1C1C", "system")
