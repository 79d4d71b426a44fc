"""Members join by an emailed single-use link: nobody sets another person's password, no account is taken over."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate, get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse

from shops.models import AuditEvent, Invitation, Membership, Shop, token_digest
from shops.services import invitation_accept, invitation_create, shop_create
from tests.factories import MembershipFactory, UserFactory

User = get_user_model()
NEW_PASSWORD = "Lantern-Orchard-47"


def _token_from(email_message) -> str:
    return email_message.body.split("/staff/invitations/")[1].split("/")[0]


def _login_works(email: str, password: str) -> bool:
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.10")
    return authenticate(request, username=email, password=password) is not None


def test_owner_adding_a_member_sends_an_invitation_and_creates_no_account(
    client, shop, owner, django_capture_on_commit_callbacks
):
    # Given the owner of a shop on the admin's "add membership" form, trying to choose the password too
    client.force_login(owner)
    # When they add an unknown email
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:shops_membership_add"),
            {"shop": shop.pk, "email": "New.Person@Example.com", "role": "marketer", "password": "Chosen-by-owner-1"},
        )
    # Then no account exists yet; an invitation (token stored hashed) is emailed and audited
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:shops_invitation_changelist")
    assert not User.objects.filter(email__iexact="new.person@example.com").exists()
    invitation = Invitation.objects.get(shop=shop)
    assert (invitation.email, invitation.role, invitation.invited_by) == ("new.person@example.com", "marketer", owner)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    token = _token_from(mail.outbox[0])
    assert invitation.token_hash == token_digest(token)
    assert token not in invitation.token_hash
    assert list(AuditEvent.objects.values_list("action", "target", "actor")) == [
        ("member_invited", "new.person@example.com as Marketer", owner.pk)
    ]


def test_accepting_sets_the_password_once_and_joins_the_shop(client, shop, django_capture_on_commit_callbacks):
    # Given an emailed invitation
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(shop=shop, email="ola@example.com", role="support", invited_by=None)
    url = reverse("shops:invitation_accept", args=[_token_from(mail.outbox[0])])
    # When the person opens it and chooses a password
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # Then they are a support member, logged in, and the link is spent
    assert response.status_code == 302
    user = User.objects.get(email="ola@example.com")
    assert Membership.objects.get(shop=shop, user=user).role == "support"
    assert user.is_staff and _login_works("ola@example.com", NEW_PASSWORD)
    assert client.get(reverse("admin:index")).status_code == 200
    assert Invitation.objects.get().accepted_by == user
    second = client.post(url, {"new_password1": "Other-Orchard-99", "new_password2": "Other-Orchard-99"})
    assert "invalid, already used or expired" in second.content.decode()
    assert _login_works("ola@example.com", NEW_PASSWORD)


def test_expired_or_unknown_links_join_nobody(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(shop=shop, email="late@example.com", role="owner", invited_by=None)
    token = _token_from(mail.outbox[0])
    with (
        time_machine.travel(invitation.expires_at + timedelta(seconds=1)),
        pytest.raises(ValidationError, match="expired"),
    ):
        invitation_accept(raw_token=token, password=NEW_PASSWORD)
    with pytest.raises(ValidationError, match="invalid"):
        invitation_accept(raw_token=token + "x", password=NEW_PASSWORD)
    assert not User.objects.filter(email="late@example.com").exists()
    assert not Membership.objects.filter(shop=shop).exists()


def test_a_new_invitation_retires_the_earlier_link(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(shop=shop, email="twice@example.com", role="support", invited_by=None)
        invitation_create(shop=shop, email="twice@example.com", role="marketer", invited_by=None)
    first, second = (_token_from(message) for message in mail.outbox)
    with pytest.raises(ValidationError):
        invitation_accept(raw_token=first, password=NEW_PASSWORD)
    user = invitation_accept(raw_token=second, password=NEW_PASSWORD)
    assert Membership.objects.get(shop=shop, user=user).role == "marketer"


def test_takeover_through_add_member_then_createshop_fails(
    client, shop, owner, django_capture_on_commit_callbacks, capsys
):
    # Given a malicious owner who "adds" the future victim's email with a password of their choosing
    client.force_login(owner)
    client.post(
        reverse("admin:shops_membership_add"),
        {"shop": shop.pk, "email": "victim@example.com", "role": "support", "password": "Attacker-Pass-123"},
    )
    # When the operator later creates the victim's own shop for that email
    with django_capture_on_commit_callbacks(execute=True):
        call_command("createshop", "victim-shop", "--name", "Victim", "--owner-email", "victim@example.com")
    # Then the attacker's password opens nothing, and only the mailbox's holder can take the owner invitation
    victim_shop = Shop.objects.get(slug="victim-shop")
    assert not _login_works("victim@example.com", "Attacker-Pass-123")
    owner_invitation = Invitation.objects.get(shop=victim_shop)
    assert owner_invitation.role == "owner"
    assert mail.outbox[-1].to == ["victim@example.com"]
    assert "Owner invitation emailed to victim@example.com" in capsys.readouterr().out
    assert not Membership.objects.filter(shop=victim_shop).exclude(user__email="victim@example.com").exists()


def test_createshop_never_makes_an_unproven_existing_account_owner(db, django_capture_on_commit_callbacks, capsys):
    # Given an account someone else created for the victim's address (the pre-fix attack), password known to them
    planted = UserFactory(username="victim@example.com", email="victim@example.com")
    planted_id = planted.pk
    # When the operator creates the victim's shop for that email
    with django_capture_on_commit_callbacks(execute=True):
        call_command("createshop", "victim-shop", "--name", "Victim", "--owner-email", "victim@example.com")
    # Then the planted account is not an owner; an owner invitation goes to the mailbox instead
    victim_shop = Shop.objects.get(slug="victim-shop")
    assert not Membership.objects.filter(shop=victim_shop).exists()
    assert "the existing account becomes owner when it is accepted" in capsys.readouterr().out
    # And when the real person accepts, their own password replaces the planted one
    user = invitation_accept(raw_token=_token_from(mail.outbox[-1]), password=NEW_PASSWORD)
    assert user.pk == planted_id
    assert Membership.objects.get(shop=victim_shop, user=user).role == "owner"
    assert not _login_works("victim@example.com", "correct horse battery staple")
    assert _login_works("victim@example.com", NEW_PASSWORD)


def test_createshop_refuses_a_password_for_an_existing_account_and_stores_nothing(db):
    UserFactory(username="someone@example.com", email="someone@example.com")
    with pytest.raises(CommandError, match=r"owner_password: An account for someone@example\.com exists"):
        call_command(
            "createshop",
            "x-shop",
            "--name",
            "X",
            "--owner-email",
            "someone@example.com",
            "--owner-password",
            "Pw-12345-x",
        )
    assert not Shop.objects.exists()
    assert not Invitation.objects.exists()
    assert _login_works("someone@example.com", "correct horse battery staple")


def test_proven_accounts_are_reused_as_owner(db, superuser, django_capture_on_commit_callbacks):
    # A superuser, an account that accepted an invitation, and one the caller vouches for become owners at once
    accepted_shop = MembershipFactory(role="support").shop
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(shop=accepted_shop, email="proven@example.com", role="support", invited_by=None)
    invitation_accept(raw_token=_token_from(mail.outbox[-1]), password=NEW_PASSWORD)
    vouched = UserFactory(username="vouched@example.com", email="vouched@example.com")
    cases = [(superuser, False), (User.objects.get(email="proven@example.com"), False), (vouched, True)]
    for index, (user, trust) in enumerate(cases):
        created = shop_create(name=f"S{index}", slug=f"s-{index}", owner_email=user.email, trust_existing_owner=trust)
        assert created.owner == user
        assert created.owner_invitation is None
        assert Membership.objects.get(shop=created.shop).user == user


def test_createshop_without_password_emails_the_new_owner_a_set_password_link(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = shop_create(name="Kawa", slug="kawa", owner_email="owner@kawa.example")
    assert not created.owner.has_usable_password()
    assert Membership.objects.get(shop=created.shop).user == created.owner
    user = invitation_accept(raw_token=_token_from(mail.outbox[0]), password=NEW_PASSWORD)
    assert user == created.owner
    assert _login_works("owner@kawa.example", NEW_PASSWORD)
