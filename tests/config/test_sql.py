"""config.sql.rows_update: many rows, each its own values, in one statement; nothing else touched."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.sql import rows_update
from notifications.models import Message, MessageStatus
from tests.notifications.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_rows_update_writes_each_row_its_own_values_in_one_statement():
    # given: three messages, and a fourth that is not written
    messages = [MessageFactory() for _ in range(4)]
    written, untouched = messages[:3], messages[3]
    moments = [datetime(2026, 11, 4, 10, minute, tzinfo=UTC) for minute in range(3)]
    for message, moment, subject in zip(written, moments, ["Ąę 'quoted'", "", "%s not a placeholder"], strict=True):
        message.subject, message.sent_at, message.status = subject, moment, MessageStatus.SENT
    written[1].sent_at = None  # a NULL travels too
    written[2].reason = "changed in memory but not named"
    # when
    with CaptureQueriesContext(connection) as queries:
        count = rows_update(written, ["subject", "sent_at", "status"])
    # then
    assert count == 3
    if connection.vendor == "postgresql":
        assert len(queries.captured_queries) == 1
    stored = {message.pk: message for message in Message.objects.filter(pk__in=[m.pk for m in messages])}
    assert [stored[m.pk].subject for m in written] == ["Ąę 'quoted'", "", "%s not a placeholder"]
    assert [stored[m.pk].sent_at for m in written] == [moments[0], None, moments[2]]
    assert {stored[m.pk].status for m in written} == {MessageStatus.SENT}
    assert stored[written[2].pk].reason == ""
    assert stored[untouched.pk].status == untouched.status and stored[untouched.pk].subject == untouched.subject


def test_rows_update_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert rows_update([], ["subject"]) == 0
    assert queries.captured_queries == []
