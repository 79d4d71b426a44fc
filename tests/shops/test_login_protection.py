"""Staff login protection: lockouts per account and per address, TOTP two-factor, session lifetime."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from shops.client_ip import client_ip
from tests.factories import MembershipFactory, ShopFactory

PASSWORD = "correct horse battery staple"


def _login(client: Client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _unthrottle(device: TOTPDevice) -> None:
    # A wrong code makes the device wait before the next try (django-otp's throttling); skip that wait.
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def test_account_is_locked_after_the_failure_limit_even_with_the_right_password(client, owner):
    # Given the limit of failed logins spent on one account, each from a different address
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, owner.username, "wrong", address=f"203.0.113.{attempt + 1}").status_code == 200
    assert _login(client, owner.username, "wrong", address="203.0.113.200").status_code == 429
    # When the right password comes, from yet another address
    response = _login(client, owner.username, PASSWORD, address="192.0.2.99")
    # Then the account stays locked out
    assert response.status_code == 429
    assert not _logged_in(client)


def test_address_is_locked_after_the_failure_limit_across_accounts(client, owner, db):
    # Given one address guessing a different account each time
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"nobody{attempt}@example.com", "wrong", address="203.0.113.50")
    # When that address tries a real account with its right password
    response = _login(client, owner.username, PASSWORD, address="203.0.113.50")
    # Then it is refused, while the same account from elsewhere still works
    assert response.status_code == 429
    assert not _logged_in(client)
    assert _login(Client(), owner.username, PASSWORD, address="192.0.2.1").status_code == 302


def test_lockout_ends_after_the_cool_off(client, owner):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, owner.username, "wrong")
    assert _login(client, owner.username, PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=5)):
        response = _login(client, owner.username, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_lockout_counts_the_address_the_trusted_proxy_saw(settings):
    # Behind one trusted proxy, only the entry it appended counts; a client-forged left part is ignored
    request = RequestFactory().post(
        "/admin/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.9"
    )
    settings.TRACKING_PORTAL_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRACKING_PORTAL_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.9"
    garbage = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(garbage) == "10.0.0.2"  # a malformed entry falls back to the peer, never to no key at all


@pytest.mark.parametrize(("policy", "role", "blocked"), [("owners", "owner", True), ("owners", "support", False),
                                                         ("all", "support", True), ("off", "owner", False)])  # fmt: skip
def test_two_factor_policy_decides_who_is_stopped_before_the_admin(client, shop, settings, policy, role, blocked):
    settings.STAFF_2FA_REQUIRED = policy
    user = MembershipFactory(shop=shop, role=role).user
    client.force_login(user)
    response = client.get(reverse("admin:shipments_order_changelist"))
    if blocked:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("shops:two_factor_setup") + "?next=")
    else:
        assert response.status_code == 200


def test_owner_enrols_with_a_local_svg_qr_code_and_then_reaches_the_admin(client, owner, settings):
    # Given two-factor required for owners and an owner without a device
    settings.STAFF_2FA_REQUIRED = "owners"
    client.force_login(owner)
    # When they open the enrolment page
    page = client.get(reverse("shops:two_factor_setup"), {"next": "/admin/"})
    # Then the QR code is drawn inline as SVG (no third-party image) and the device is not yet trusted
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body
    assert "https://" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=owner)
    assert not device.confirmed
    assert client.post(reverse("shops:two_factor_setup"), {"token": "000000"}).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
    _unthrottle(device)
    # When they confirm a right code
    response = client.post(reverse("shops:two_factor_setup"), {"token": _code(device), "next": "/admin/"})
    # Then the device is confirmed and the admin opens
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:index")).status_code == 200


def test_enrolled_user_must_verify_after_the_password_even_with_policy_off(client, owner, settings):
    # Given an owner who enrolled a device, and a deployment that does not require two-factor
    settings.STAFF_2FA_REQUIRED = "off"
    device = TOTPDevice.objects.create(user=owner, name="phone", confirmed=True)
    # When they log in with their password only
    assert _login(client, owner.username, PASSWORD).status_code == 302
    response = client.get(reverse("admin:index"))
    # Then the admin is closed until a code is verified; a wrong code does not open it
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("shops:two_factor_verify"))
    client.post(reverse("shops:two_factor_verify"), {"token": "123456"})
    assert client.get(reverse("admin:index")).status_code == 302
    _unthrottle(device)
    assert client.post(reverse("shops:two_factor_verify"), {"token": _code(device)}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_sessions_expire_after_twelve_hours():
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60


def test_a_password_change_ends_the_other_sessions_but_keeps_the_current_one(owner):
    # Given the same person logged in on two devices
    laptop, phone = Client(), Client()
    laptop.force_login(owner)
    phone.force_login(owner)
    # When they change their password on the laptop
    response = laptop.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": "Quiet-Harbour-83", "new_password2": "Quiet-Harbour-83"},
    )
    # Then the laptop stays in and the phone is logged out
    assert response.status_code == 302
    assert laptop.get(reverse("admin:index")).status_code == 200
    assert phone.get(reverse("admin:index")).status_code == 302
    assert not _logged_in(phone)


def test_staff_pages_are_never_served_on_a_shops_custom_domain(client, db):
    # A shop's domain must not host the platform's password and code forms
    ShopFactory(custom_domain="track.example.com")
    assert client.get(reverse("shops:two_factor_verify"), HTTP_HOST="track.example.com").status_code == 404
    assert client.get("/staff/invitations/anything/", HTTP_HOST="track.example.com").status_code == 404


def test_an_ipv6_client_is_throttled_per_64_so_rotating_addresses_does_not_reset_it(client, db):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"nobody{attempt}@example.com", "wrong", address=f"2001:db8:1:2::{attempt + 1:x}")
    owner = MembershipFactory(role="owner").user
    assert _login(client, owner.username, PASSWORD, address="2001:db8:1:2:ffff::9").status_code == 429
    assert _login(Client(), owner.username, PASSWORD, address="2001:db8:1:3::1").status_code == 302
