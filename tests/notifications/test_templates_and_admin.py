"""Shop-edited templates (sandboxed, validated on save) and the tenant-scoped admin."""

import re

import pytest
from django.core import mail

from notifications.models import MessageStatus, OutboxEmail, StatusTemplate
from notifications.rendering import override_errors
from tests.notifications.factories import MessageFactory, StatusTemplateFactory

pytestmark = pytest.mark.django_db


def test_valid_override_has_no_errors():
    assert (
        override_errors(subject="{{ status_label }}: {{ order_number }}", heading="", body="Hi {{ customer_name }}")
        == {}
    )


def test_override_syntax_error_is_a_field_error():
    errors = override_errors(subject="{{ status_label ", heading="", body="")
    assert list(errors) == ["subject"]
    assert errors["subject"].startswith("Template error: ")


def test_override_unknown_variable_is_a_field_error():
    errors = override_errors(subject="", heading="{{ order.customer_email }}", body="")
    assert errors == {"heading": errors["heading"]}
    assert errors["heading"].startswith("Unknown variable(s): order. Available: customer_name, order_number")


def test_override_cannot_escape_the_sandbox():
    errors = override_errors(subject="", heading="", body="{{ customer_name.__class__.__mro__ }}")
    assert list(errors) == ["body"]


def test_admin_refuses_an_invalid_template_with_a_form_error(client, owner, shop):
    # given
    client.force_login(owner)
    # when
    response = client.post(
        "/admin/notifications/statustemplate/add/",
        {
            "shop": shop.pk,
            "status": "delivered",
            "language": "pl",
            "subject": "{{ secret_key }}",
            "heading": "",
            "body": "",
        },
    )
    # then
    assert response.status_code == 200
    assert "Unknown variable(s): secret_key" in response.content.decode()
    assert StatusTemplate.objects.count() == 0


def test_marketer_may_edit_templates(client, marketer, shop):
    # given
    client.force_login(marketer)
    # when
    response = client.post(
        "/admin/notifications/statustemplate/add/",
        {
            "shop": shop.pk,
            "status": "delivered",
            "language": "pl",
            "subject": "Już jest! {{ order_number }}",
            "heading": "",
            "body": "",
        },
    )
    # then
    assert response.status_code == 302
    assert StatusTemplate.objects.get().subject == "Już jest! {{ order_number }}"


def test_previews_show_every_language_in_sandboxed_iframes(client, owner, shop):
    # given
    StatusTemplateFactory(shop=shop, status="delivered", language="de", subject="Angekommen: {{ order_number }}")
    client.force_login(owner)
    # when
    response = client.get(f"/admin/notifications/statustemplate/previews/?shop={shop.pk}&status=delivered")
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('<iframe sandbox=""') == 5
    assert "Angekommen: 1001" in page
    assert "Doręczona: Twoje zamówienie 1001" in page


def test_send_a_test_email_to_me(client, owner, shop):
    # given
    owner.email = "owner@shop.example"
    owner.save()
    client.force_login(owner)
    # when
    response = client.post(
        f"/admin/notifications/statustemplate/previews/?shop={shop.pk}&status=out_for_delivery", {"language": "en"}
    )
    # then
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@shop.example"]
    assert mail.outbox[0].subject == "[TEST] Out for delivery: your order 1001"


def test_support_cannot_send_test_emails(client, support, shop):
    # given
    client.force_login(support)
    # when
    response = client.post(f"/admin/notifications/statustemplate/previews/?shop={shop.pk}", {"language": "en"})
    # then
    assert response.status_code == 403
    assert mail.outbox == []


def test_message_admin_shows_preview_and_is_scoped_to_the_shop(client, support, shop, other_shop):
    # given
    mine = MessageFactory(
        status_change__shipment__order__shop=shop, status=MessageStatus.SENT, html_body="<p>Hello & welcome</p>"
    )
    theirs = MessageFactory(status_change__shipment__order__shop=other_shop)
    client.force_login(support)
    # when
    listing = client.get(f"/admin/notifications/message/?order__id__exact={mine.order_id}")
    detail = client.get(f"/admin/notifications/message/{mine.pk}/change/")
    foreign = client.get(f"/admin/notifications/message/{theirs.pk}/change/")
    # then
    assert listing.status_code == 200
    assert f"/admin/notifications/message/{mine.pk}/change/" in listing.content.decode()
    assert detail.status_code == 200
    assert 'srcdoc="&lt;p&gt;Hello &amp; welcome&lt;/p&gt;"' in detail.content.decode()
    assert foreign.status_code == 404  # out of scope: as if it did not exist


def test_support_cannot_change_messages(client, support, shop):
    # given
    message = MessageFactory(status_change__shipment__order__shop=shop)
    client.force_login(support)
    # when
    response = client.post(f"/admin/notifications/message/{message.pk}/change/", {"status": "sent"})
    # then
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


def test_outbox_admin_lists_only_the_shops_stored_emails(client, owner, shop, other_shop):
    # given
    OutboxEmail.objects.create(shop=shop, esp_message_id="a", from_email="x@y", to=["anna@example.com"], subject="Ours")
    OutboxEmail.objects.create(
        shop=other_shop, esp_message_id="b", from_email="x@y", to=["b@example.com"], subject="Theirs"
    )
    client.force_login(owner)
    # when
    page = client.get("/admin/notifications/outboxemail/").content.decode()
    # then
    assert "Ours" in page
    assert not re.search(r"\bTheirs\b", page)


def test_order_page_shows_every_message_with_preview_and_timeline(client, support, shop, other_shop):
    # given
    from datetime import UTC, datetime

    from notifications.models import MessageEvent

    message = MessageFactory(
        status_change__shipment__order__shop=shop,
        status=MessageStatus.SENT,
        subject="W doręczeniu",
        html_body="<p>Hi</p>",
    )
    MessageEvent.objects.create(
        message=message,
        esp_name="Postmark",
        event_id="e1",
        event_type="opened",
        occurred_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    theirs = MessageFactory(status_change__shipment__order__shop=other_shop)
    client.force_login(support)
    # when
    page = client.get(f"/admin/notifications/message/order/{message.order_id}/")
    foreign = client.get(f"/admin/notifications/message/order/{theirs.order_id}/")
    # then
    body = page.content.decode()
    assert page.status_code == 200
    assert "W doręczeniu" in body
    assert " — opened" in body
    assert body.count('<iframe sandbox=""') == 1
    assert foreign.status_code == 404
