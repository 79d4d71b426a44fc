"""Sending: one email per message through anymail, the right content, retries and failures at the ESP seam."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings

from campaigns.placements import DiscountOffer, Placements, ProductCard
from notifications import content, outbox, sending
from notifications.fake_esp import FakeEsp, Reply
from notifications.models import Message, MessageStatus, OutboxEmail, Suppression
from shipments.status_texts import status_label
from shops.languages import SUPPORTED_LANGUAGES
from tests.notifications.conftest import NOW, make_change

pytestmark = pytest.mark.django_db


def queued_message(shipment, to_status="out_for_delivery"):
    change = make_change(shipment, to_status=to_status)
    (message_id,) = outbox.status_change_process(status_change_id=change.pk)
    return Message.objects.get(pk=message_id)


def postmark_at(fake, *, read_timeout: float = 1):
    return override_settings(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL={
            "POSTMARK_SERVER_TOKEN": "test-token",
            "POSTMARK_API_URL": fake.url,
            "REQUESTS_TIMEOUT": (1, read_timeout),
        },
        NOTIFICATIONS_RETRY_BASE_SECONDS=1,
    )


def test_message_is_sent_once_with_sender_headers_metadata_and_esp_id(clock, shipment, settings_row):
    # given
    message = queued_message(shipment)
    # when
    first = sending.message_send(message_id=message.pk)
    second = sending.message_send(message_id=message.pk)
    # then
    assert (first.status, second.status) == (MessageStatus.SENT, MessageStatus.SENT)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    shop = shipment.shop
    assert sent.from_email == f"{shop.name} <hello@{shop.slug}.example>"
    assert sent.to == ["anna@example.com"]
    assert sent.reply_to == [shop.support_email]
    assert sent.metadata == {"message_id": str(message.pk), "shop_id": str(shop.pk)}
    assert sent.tags == ["status-out_for_delivery"]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/email/unsubscribe/")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.esp_message_id == "0"
    assert message.sent_at == NOW
    assert message.subject == "W doręczeniu: Twoje zamówienie " + shipment.order.number


def test_rendered_email_has_branding_tracking_link_latest_event_and_inlined_css(clock, shipment, settings_row):
    # given
    shop = shipment.shop
    shop.primary_color = "#FFD700"
    shop.save()
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    token = shipment.order.public_token
    assert f'href="http://127.0.0.1:8000/t/{token}"' in message.html_body
    assert "Przesyłka wydana do doręczenia" in message.html_body
    assert "Przesyłka wydana do doręczenia" in message.text_body
    assert 'class="masthead" style="' in message.html_body
    assert "background: #FFD700" in message.html_body
    assert "color: #111111" in message.html_body  # readable text on a light brand fill
    assert "Kurier dostarczy dziś Twoją paczkę." in message.html_body  # preheader and body
    assert f"Śledź przesyłkę: http://127.0.0.1:8000/t/{token}" in message.text_body


def test_plain_text_part_is_not_html_escaped(clock, shipment, settings_row):
    # given
    order = shipment.order
    order.customer_name = "Anna & <Jan>"
    order.save()
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert "Dzień dobry, Anna & <Jan>!" in message.text_body
    assert "Dzień dobry, Anna &amp; &lt;Jan&gt;!" in message.html_body


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_email_is_in_the_customers_language(clock, shipment, settings_row, language):
    # given
    order = shipment.order
    order.locale = language
    order.save()
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert message.subject.startswith(status_label("out_for_delivery", language) + ": ")
    assert f'<html lang="{language}">' in message.html_body


def test_pickup_point_is_shown_for_ready_for_pickup(clock, shipment, settings_row):
    # given
    shipment.pickup_point = {
        "id": "KRA01M",
        "name": "Paczkomat KRA01M",
        "address": "ul. Floriańska 1",
        "city": "Kraków",
    }
    shipment.eta_from = NOW + timedelta(days=1)
    shipment.save()
    message = queued_message(shipment, to_status="available_for_pickup")
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert "Paczkomat KRA01M" in message.html_body
    assert "Punkt odbioru: Paczkomat KRA01M, ul. Floriańska 1, Kraków" in message.text_body
    assert "Przewidywane doręczenie" not in message.text_body


def test_expected_delivery_window_is_shown_in_the_customers_timezone(clock, shipment, settings_row):
    # given: 09:00-12:00 UTC is 10:00-13:00 in Warsaw
    shipment.eta_from = NOW + timedelta(days=1, hours=-1)
    shipment.eta_to = NOW + timedelta(days=1, hours=2)
    shipment.save()
    message = queued_message(shipment, to_status="out_for_delivery")
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert "Przewidywane doręczenie: czw., 5 listopada, 10:00\u201313:00" in message.text_body


def placements_with_offer(**kwargs):
    return Placements(
        products=(
            ProductCard(sku="M1", name="Młynek do kawy", url="https://shop.example/p/m1", price=Decimal("99.00")),
        ),
        discount=DiscountOffer(code="DZIEKI10", description="-10% na kolejne zakupy"),
    )


def test_marketing_blocks_appear_with_consent(clock, shipment, settings_row, monkeypatch):
    # given
    monkeypatch.setattr(content, "email_placements", placements_with_offer)
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert "DZIEKI10" in message.html_body
    assert "Młynek do kawy" in message.html_body
    assert "Twój kod rabatowy: DZIEKI10" in message.text_body


def test_marketing_blocks_are_left_out_without_consent_but_the_status_is_sent(
    clock, shipment, settings_row, monkeypatch
):
    # given
    shipment.order.email_marketing_consent = False
    shipment.order.save()
    monkeypatch.setattr(content, "email_placements", placements_with_offer)
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert "DZIEKI10" not in message.html_body
    assert "Młynek do kawy" not in message.text_body
    assert "W doręczeniu" in message.html_body


def test_suppressed_address_is_not_emailed(clock, shipment, settings_row):
    # given
    Suppression.objects.create(shop=shipment.shop, email="ANNA@example.com", reason="bounced")
    message = queued_message(shipment)
    # when
    outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.SUPPRESSED
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == MessageStatus.SUPPRESSED


def test_shop_overrides_replace_subject_heading_and_body(clock, shipment, settings_row):
    # given
    from tests.notifications.factories import StatusTemplateFactory

    StatusTemplateFactory(
        shop=shipment.shop,
        status="out_for_delivery",
        language="pl",
        subject="{{ customer_name }}, kurier już jedzie!",
        heading="Dziś u Ciebie",
        body="Paczka {{ tracking_number }} jest w drodze.\n\nDo zobaczenia!",
    )
    message = queued_message(shipment)
    # when
    sending.message_send(message_id=message.pk)
    # then
    message.refresh_from_db()
    assert message.subject == "Anna Kowalska, kurier już jedzie!"
    assert "<h1" in message.html_body and "Dziś u Ciebie</h1>" in message.html_body
    assert f"Paczka {shipment.tracking_number} jest w drodze." in message.text_body
    assert "Do zobaczenia!</p>" in message.html_body


def test_outbox_backend_stores_the_email_and_returns_an_esp_id(clock, shipment, settings_row):
    # given
    message = queued_message(shipment)
    # when
    with override_settings(EMAIL_BACKEND="notifications.backends.OutboxEmailBackend"):
        sending.message_send(message_id=message.pk)
    # then
    stored = OutboxEmail.objects.get()
    message.refresh_from_db()
    assert message.esp_message_id == stored.esp_message_id
    assert message.esp_name == "Outbox"
    assert stored.shop == shipment.shop
    assert stored.to == ["anna@example.com"]
    assert stored.metadata == {"message_id": str(message.pk), "shop_id": str(shipment.shop.pk)}
    assert stored.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stored.html_body == message.html_body
    assert stored.text_body == message.text_body


def test_fake_esp_503_three_times_then_200_sends_once(clock, shipment, settings_row):
    # given
    message = queued_message(shipment)
    script = [Reply(503), Reply(503), Reply(503), Reply(200)]
    with FakeEsp(script) as fake, postmark_at(fake):
        # when
        outcomes = []
        for _ in range(5):
            outcome = sending.message_send(message_id=message.pk)
            outcomes.append(outcome.status)
            if outcome.retry_in is not None:
                assert 0.5 <= outcome.retry_in <= 900
                clock.shift(timedelta(seconds=outcome.retry_in + 0.001))
    # then
    assert outcomes == ["queued", "queued", "queued", "sent", "sent"]
    assert len(fake.requests) == 4
    assert len(fake.accepted) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.esp_name) == (MessageStatus.SENT, 4, "Postmark")


def test_fake_esp_400_fails_with_the_reason_and_is_not_retried(clock, shipment, settings_row):
    # given
    message = queued_message(shipment)
    with FakeEsp([Reply(400)]) as fake, postmark_at(fake):
        # when
        outcome = sending.message_send(message_id=message.pk)
        again = sending.message_send(message_id=message.pk)
    # then
    assert (outcome.status, outcome.retry_in, again.status) == (MessageStatus.FAILED, None, MessageStatus.FAILED)
    assert len(fake.requests) == 1
    message.refresh_from_db()
    assert message.reason.startswith("ESP refused the email (HTTP 400): ")
    assert "Scripted HTTP 400" in message.reason


def test_slow_esp_past_the_timeout_is_unknown_not_retried_so_no_duplicate(clock, shipment, settings_row):
    # given: the ESP takes the email but answers after the 1 s read timeout
    message = queued_message(shipment)
    with FakeEsp([Reply(200, delay=2.5)]) as fake, postmark_at(fake):
        # when
        outcome = sending.message_send(message_id=message.pk)
        clock.shift(timedelta(hours=1))
        sending.messages_recover_stuck()
        again = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == again.status == MessageStatus.UNKNOWN
    assert len(fake.requests) == 1
    assert len(fake.accepted) == 1
    message.refresh_from_db()
    assert message.reason.startswith("Outcome unknown: No answer from the ESP")
    assert message.unknown_since == NOW


def test_refused_connection_is_retried_because_the_esp_never_saw_it(clock, shipment, settings_row):
    # given: nothing listens on the port any more
    message = queued_message(shipment)
    with FakeEsp() as fake:
        url = fake.url
    with override_settings(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL={"POSTMARK_SERVER_TOKEN": "t", "POSTMARK_API_URL": url, "REQUESTS_TIMEOUT": (1, 1)},
    ):
        # when
        outcome = sending.message_send(message_id=message.pk)
    # then
    assert outcome.status == MessageStatus.QUEUED
    assert outcome.retry_in is not None
    message.refresh_from_db()
    assert message.reason.startswith("Attempt 1 failed: Could not connect to the ESP")


def test_gives_up_after_the_maximum_attempts(clock, shipment, settings_row):
    # given
    message = queued_message(shipment)
    with FakeEsp([Reply(503)] * 3) as fake, postmark_at(fake), override_settings(NOTIFICATIONS_MAX_ATTEMPTS=3):
        # when
        for _ in range(3):
            outcome = sending.message_send(message_id=message.pk)
            if outcome.retry_in:
                clock.shift(timedelta(seconds=outcome.retry_in + 0.001))
    # then
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.reason == "Gave up after 3 attempts: ESP answered HTTP 503"
    assert fake.accepted == []


def test_retry_delay_grows_with_jitter_and_is_capped():
    with override_settings(NOTIFICATIONS_RETRY_BASE_SECONDS=10, NOTIFICATIONS_RETRY_CAP_SECONDS=60):
        assert 5 <= sending.retry_delay(1) <= 10
        assert 20 <= sending.retry_delay(3) <= 40
        assert 30 <= sending.retry_delay(9) <= 60
        assert sending.retry_delay(1, retry_after=45) == 45


def test_stuck_sending_before_the_esp_call_is_requeued(clock, shipment, settings_row):
    # given: a worker claimed the message and died before handing it to the ESP
    message = queued_message(shipment)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW)
    clock.shift(timedelta(minutes=16))
    # when
    counts = sending.messages_recover_stuck()
    sending.message_send(message_id=message.pk)
    # then
    assert counts == {"requeued": 1, "unknown": 0}
    assert len(mail.outbox) == 1


def test_stuck_sending_after_the_esp_call_is_unknown_not_resent(clock, shipment, settings_row):
    # given: the worker died while the ESP had the email
    message = queued_message(shipment)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW, handed_to_esp_at=NOW)
    # when: not yet timed out, then timed out
    early = sending.messages_recover_stuck()
    clock.shift(timedelta(minutes=16))
    late = sending.messages_recover_stuck()
    sending.message_send(message_id=message.pk)
    # then
    assert early == {"requeued": 0, "unknown": 0}
    assert late == {"requeued": 0, "unknown": 1}
    assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == MessageStatus.UNKNOWN
    assert message.reason.startswith("Outcome unknown: the worker was lost during the ESP call")
    assert message.unknown_since == NOW + timedelta(minutes=16)


def test_idempotent_outbox_backend_recovers_a_lost_send_without_a_duplicate(clock, shipment, settings_row):
    # given: the outbox stored the email, then the worker died before recording it
    message = queued_message(shipment)
    with override_settings(EMAIL_BACKEND="notifications.backends.OutboxEmailBackend"):
        sending.message_send(message_id=message.pk)
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING, claimed_at=NOW, handed_to_esp_at=NOW)
        clock.shift(timedelta(minutes=16))
        # when
        counts = sending.messages_recover_stuck()
        outcome = sending.message_send(message_id=message.pk)
    # then
    assert counts == {"requeued": 1, "unknown": 0}
    assert outcome.status == MessageStatus.SENT
    assert OutboxEmail.objects.count() == 1
    message.refresh_from_db()
    assert message.esp_message_id == OutboxEmail.objects.get().esp_message_id
