"""The audit log: admin actions write it; a shop's owners read their own trail only, and nobody edits it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from shops.audit import audit_record
from shops.models import ApiKey, AuditEvent, Invitation, Membership
from shops.services import invitation_create, shop_create
from tests.factories import MembershipFactory, ShopFactory


def _actions(shop) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(shop=shop).order_by("pk").values_list("action", "target"))


def test_api_key_created_and_revoked_in_the_admin_are_audited_with_actor_and_address(client, shop, owner):
    client.force_login(owner)
    client.post(reverse("admin:shops_apikey_add"), {"shop": shop.pk, "name": "ERP"}, REMOTE_ADDR="198.51.100.4")
    api_key = ApiKey.objects.get(shop=shop, name="ERP")
    client.post(
        reverse("admin:shops_apikey_changelist"),
        {"action": "revoke", "_selected_action": [api_key.pk]},
        REMOTE_ADDR="198.51.100.4",
    )
    assert _actions(shop) == [("api_key_created", str(api_key)), ("api_key_revoked", str(api_key))]
    assert set(AuditEvent.objects.values_list("actor", "actor_label", "ip")) == {
        (owner.pk, owner.username, "198.51.100.4")
    }


def test_member_role_change_and_removal_are_audited(client, shop, owner):
    member = MembershipFactory(shop=shop, role="support")
    client.force_login(owner)
    client.post(reverse("admin:shops_membership_change", args=[member.pk]), {"role": "marketer"})
    client.post(reverse("admin:shops_membership_delete", args=[member.pk]), {"post": "yes"})
    username = member.user.username
    assert _actions(shop) == [
        ("member_role_changed", f"{username} to Marketer"),
        ("member_removed", f"{username} (Marketer)"),
    ]
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_revoking_an_invitation_kills_its_link_and_is_audited(client, shop, owner):
    invitation = invitation_create(shop=shop, email="x@example.com", role="support", invited_by=owner)
    client.force_login(owner)
    client.post(reverse("admin:shops_invitation_changelist"), {"action": "revoke", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert invitation.expires_at <= timezone.now()
    assert _actions(shop) == [("member_invited", "x@example.com as Support"), ("invitation_revoked", "x@example.com")]


@pytest.fixture
def two_trails(db):
    trails = {}
    for label in ("a", "b"):
        shop = ShopFactory(name=f"Shop {label.upper()}")
        owner = MembershipFactory(shop=shop, role="owner").user
        event = audit_record(shop=shop, actor=owner, action="api_key_created", target=f"secret-target-{label}")
        trails[label] = {"shop": shop, "owner": owner, "event": event}
    return trails


def test_owners_see_only_their_own_shops_audit_trail(client, two_trails):
    client.force_login(two_trails["a"]["owner"])
    listing = client.get(reverse("admin:shops_auditevent_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [two_trails["a"]["event"]]
    assert "secret-target-b" not in listing.content.decode()
    other = reverse("admin:shops_auditevent_change", args=[two_trails["b"]["event"].pk])
    assert client.get(other).status_code == 404
    exported = client.post(
        reverse("admin:shops_auditevent_changelist"),
        {"action": "export_csv", "_selected_action": [two_trails["a"]["event"].pk, two_trails["b"]["event"].pk]},
    ).content.decode()
    assert "secret-target-a" in exported
    assert "secret-target-b" not in exported


def test_the_audit_trail_is_read_only_and_closed_to_other_roles(client, two_trails):
    shop, event = two_trails["a"]["shop"], two_trails["a"]["event"]
    client.force_login(two_trails["a"]["owner"])
    change_url = reverse("admin:shops_auditevent_change", args=[event.pk])
    assert client.post(change_url, {"target": "rewritten"}).status_code == 403
    assert client.post(reverse("admin:shops_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.target == "secret-target-a"
    marketer = MembershipFactory(shop=shop, role="marketer").user
    client.force_login(marketer)
    assert client.get(reverse("admin:shops_auditevent_changelist")).status_code == 403
    assert client.get(reverse("admin:shops_invitation_changelist")).status_code == 403


def test_invitations_of_another_shop_are_invisible(client, two_trails):
    foreign = invitation_create(
        shop=two_trails["b"]["shop"], email="b-person@example.com", role="support", invited_by=None
    )
    client.force_login(two_trails["a"]["owner"])
    assert client.get(reverse("admin:shops_invitation_change", args=[foreign.pk])).status_code == 404
    client.post(reverse("admin:shops_invitation_changelist"), {"action": "revoke", "_selected_action": [foreign.pk]})
    assert Invitation.objects.get(pk=foreign.pk).expires_at > foreign.created_at
    assert not AuditEvent.objects.filter(action="invitation_revoked").exists()


def test_shop_create_audits_the_owner_it_makes(db):
    created = shop_create(
        name="Kawa", slug="kawa", owner_email="owner@kawa.example", owner_password="Lantern-Orchard-47"
    )
    assert list(AuditEvent.objects.values_list("shop", "action", "target", "actor_label")) == [
        (created.shop.pk, "member_added", "owner@kawa.example as Owner", "system")
    ]
