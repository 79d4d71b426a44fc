"""Whom the lookup limiter counts: forged X-Forwarded-For is ignored without proxies; IPv6 counts per /64."""

import pytest

from shops.client_ip import client_ip, client_rate_key
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def lookup(client, shop, ip, forwarded="", **data):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(f"/{shop.slug}/track", data, REMOTE_ADDR=ip, **extra)


def test_forged_forwarded_for_does_not_escape_the_limit_without_proxies(client, shop, settings):
    # given a client reaching gunicorn directly, no proxies configured, inventing a new XFF each time
    settings.TRACKING_PORTAL_PROXY_COUNT = 0
    for attempt in range(settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT):
        lookup(client, shop, "203.0.113.5", forwarded=f"198.51.100.{attempt}", number=f"X-{attempt}", secret="a@b.c")
    OrderFactory(shop=shop, number="PF-2000", customer_email="anna@example.com")

    # when it tries once more with yet another forged address
    response = lookup(client, shop, "203.0.113.5", forwarded="192.0.2.99", number="PF-2000", secret="anna@example.com")

    # then it is still limited
    assert response.status_code == 429


def test_one_ipv6_subscriber_rotating_addresses_in_its_64_is_limited(client, shop, settings):
    # given a client using a fresh address of its /64 for every attempt
    for attempt in range(settings.TRACKING_PORTAL_LOOKUPS_PER_CLIENT):
        lookup(client, shop, f"2001:db8:1:2::{attempt + 1:x}", number=f"X-{attempt}", secret="a@b.c")
    OrderFactory(shop=shop, number="PF-2000", customer_email="anna@example.com")

    # when it tries from yet another address of the same /64
    limited = lookup(client, shop, "2001:db8:1:2:ffff::1", number="PF-2000", secret="anna@example.com")
    # then it is limited, while the neighbouring /64 is not
    other = lookup(client, shop, "2001:db8:1:3::1", number="PF-2000", secret="anna@example.com")

    assert limited.status_code == 429
    assert other.status_code == 303


def test_rate_key_is_the_ipv4_address_or_the_ipv6_64(rf):
    assert client_rate_key(rf.get("/", REMOTE_ADDR="203.0.113.5")) == "203.0.113.5"
    assert client_rate_key(rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa:bbbb:cccc:dddd")) == "2001:db8:1:2::/64"
    assert client_rate_key(rf.get("/", REMOTE_ADDR="::ffff:203.0.113.5")) == "203.0.113.5"


def test_forwarded_for_is_used_only_behind_proxies_and_only_when_well_formed(rf, settings):
    forged = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="203.0.113.5")
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.2")

    settings.TRACKING_PORTAL_PROXY_COUNT = 0
    assert client_ip(forged) == "203.0.113.5"
    settings.TRACKING_PORTAL_PROXY_COUNT = -1
    assert client_ip(forged) == "203.0.113.5"
    settings.TRACKING_PORTAL_PROXY_COUNT = 1
    assert client_ip(forged) == "198.51.100.9"
    assert client_ip(garbage) == "10.0.0.2"
