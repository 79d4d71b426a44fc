"""The demo's watchlist story: incidents appear and clear for a stuck label, a locker deadline, a failed attempt
and a late parcel; the support address gets the digest through notifications."""

from datetime import datetime

import pytest

from demo.incidents import WARSAW, demo_incident_story
from notifications.models import Message
from watchlist.models import Incident

pytestmark = pytest.mark.django_db


def test_the_story_opens_and_clears_each_kind_of_incident(shop):
    # given a week with no holiday (Monday 16 November 2026)
    lines: list[str] = []

    # when the story runs
    demo_incident_story(shop=shop, monday=datetime(2026, 11, 16, tzinfo=WARSAW), say=lines.append)

    # then each parcel's incident opened and resolved, and none is left open
    opened = [line for line in lines if "OPENED" in line]
    resolved = [line for line in lines if "resolved" in line]
    assert [line.split("OPENED ")[1].split(" ")[0] for line in opened] == [
        "late_dispatch",
        "forgotten",
        "pickup_deadline",
        "failed_attempt",
        "delayed",
    ]
    assert len(resolved) == 5
    assert "Wed 18 Nov daily digest to the support address: 1 open incident(s)" in lines
    assert Message.objects.get(trigger_kind="incident_digest").to_email == shop.support_email
    assert lines[0] == "Thu 19 Nov 16:00 label, never picked up: OPENED late_dispatch (default)"
    assert not Incident.objects.filter(state="open").exists()
