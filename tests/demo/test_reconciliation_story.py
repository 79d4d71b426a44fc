"""The demo's interrupted sends: the sweeper settles two (found, resent once), a person the third."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import override_settings

from demo.services import demo_seed
from notifications.models import Message, MessageStatus
from notifications.reconcile import messages_reconcile

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_seeded_unknown_outcomes_are_settled_by_the_sweeper_or_left_for_a_person(db):
    # given
    with time_machine.travel(NOW, tick=False):
        shop = demo_seed(now=NOW).shop
        unknown = Message.objects.filter(shop=shop, status=MessageStatus.UNKNOWN)
        assert unknown.count() == 3
        # when: the demo's beat runs the sweeper with the database outbox as the ESP
        with override_settings(EMAIL_BACKEND="notifications.backends.OutboxEmailBackend"):
            counts = messages_reconcile(now=NOW + timedelta(minutes=1))
    # then
    assert counts == {"found": 1, "absent_resent": 1}
    left = Message.objects.get(shop=shop, status=MessageStatus.UNKNOWN)
    assert left.reconciliation == "left_for_a_person"
    assert Message.objects.filter(shop=shop, status=MessageStatus.QUEUED, reconciliation="absent_resent").count() == 1
