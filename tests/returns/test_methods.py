"""Issuing an InPost return code: the parcel becomes a return Shipment; a carrier outage keeps the request."""

import json
from pathlib import Path

import httpx
import pytest

from carriers.inpost_returns import InPostReturnsUnavailable
from notifications.models import Message
from returns.methods import inpost_returns_client, return_code_issue, return_parcels_sync
from returns.models import ReturnState
from returns.services import ReturnLine, return_approve, return_request_create
from shipments.models import Direction, Shipment
from tests.returns.conftest import NOW

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent.parent / "fixtures" / "carriers" / "inpost_returns"


def inpost_answers(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/oauth2/token":
        return httpx.Response(200, json=json.loads((FIXTURES / "token.json").read_text()))
    return httpx.Response(201, json=json.loads((FIXTURES / "ticket_created.json").read_text()))


def inpost_down(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="Service Unavailable")


@pytest.fixture
def approved_inpost_return(delivered_order, return_setup):
    mug = delivered_order["mug"]
    return_request = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="inpost_code",
        now=NOW,
    )
    return return_approve(return_request=return_request, now=NOW)


def test_the_code_is_stored_and_the_return_parcel_is_tracked(approved_inpost_return, settings):
    settings.CARRIER_ENV = {"CARRIER_INPOST_RETURNS_BASE_URL": "https://returns.inpost.test"}

    issued = return_code_issue(
        return_request_id=approved_inpost_return.pk,
        client=inpost_returns_client(transport=httpx.MockTransport(inpost_answers)),
        now=NOW,
    )

    assert (issued.state, issued.return_code) == (ReturnState.LABEL_ISSUED, "4821 9350")
    assert issued.code_expires_at.isoformat() == "2026-12-15T22:59:59+00:00"
    parcel = Shipment.objects.get(direction=Direction.RETURN)
    assert (parcel.carrier, parcel.tracking_number, parcel.next_poll_at is not None) == (
        "inpost",
        "520113017830399002575123",
        True,
    )
    assert issued.return_shipment == parcel
    message = Message.objects.get(trigger_kind="return_label_issued")
    assert message.context["return_code"] == "4821 9350"


def test_a_carrier_outage_keeps_the_request_and_records_the_attempt(approved_inpost_return):
    with pytest.raises(InPostReturnsUnavailable):
        return_code_issue(
            return_request_id=approved_inpost_return.pk,
            client=inpost_returns_client(transport=httpx.MockTransport(inpost_down)),
            now=NOW,
        )

    approved_inpost_return.refresh_from_db()
    assert approved_inpost_return.state == ReturnState.APPROVED
    assert approved_inpost_return.issue_attempts == 1
    assert "503" in approved_inpost_return.issue_error
    assert not Shipment.objects.filter(direction=Direction.RETURN).exists()
    assert not Message.objects.filter(trigger_kind="return_label_issued").exists()


def test_a_retry_after_the_outage_issues_once(approved_inpost_return):
    down = inpost_returns_client(transport=httpx.MockTransport(inpost_down))
    up = inpost_returns_client(transport=httpx.MockTransport(inpost_answers))
    with pytest.raises(InPostReturnsUnavailable):
        return_code_issue(return_request_id=approved_inpost_return.pk, client=down, now=NOW)

    return_code_issue(return_request_id=approved_inpost_return.pk, client=up, now=NOW)
    again = return_code_issue(return_request_id=approved_inpost_return.pk, client=up, now=NOW)

    assert again is None
    assert Shipment.objects.filter(direction=Direction.RETURN).count() == 1
    assert Message.objects.filter(trigger_kind="return_label_issued").count() == 1


def test_the_task_retries_while_the_carrier_is_down(approved_inpost_return, monkeypatch):
    from returns import methods, tasks

    monkeypatch.setattr(
        methods,
        "inpost_returns_client",
        lambda: methods.InPostReturnsClient(
            base_url="https://returns.inpost.test",
            client_id="",
            client_secret="",
            client=httpx.Client(transport=httpx.MockTransport(inpost_down)),
        ),
    )

    result = tasks.issue_code.apply(kwargs={"return_request_id": approved_inpost_return.pk})

    assert isinstance(result.result, InPostReturnsUnavailable)
    approved_inpost_return.refresh_from_db()
    assert approved_inpost_return.state == ReturnState.APPROVED
    assert approved_inpost_return.issue_attempts >= 1


def test_a_moving_return_parcel_puts_the_return_in_transit(approved_inpost_return):
    up = inpost_returns_client(transport=httpx.MockTransport(inpost_answers))
    issued = return_code_issue(return_request_id=approved_inpost_return.pk, client=up, now=NOW)
    assert return_parcels_sync() == 0

    Shipment.objects.filter(pk=issued.return_shipment_id).update(status="in_transit")

    assert return_parcels_sync() == 1
    issued.refresh_from_db()
    assert issued.state == ReturnState.IN_TRANSIT


def test_a_code_task_lost_on_the_way_to_the_broker_is_published_again(approved_inpost_return, published):
    from datetime import timedelta

    from returns.methods import return_codes_republish_lost

    assert return_codes_republish_lost(now=NOW + timedelta(minutes=10)) == []

    again = return_codes_republish_lost(now=NOW + timedelta(minutes=31))

    assert again == [approved_inpost_return.pk]


def test_an_attempted_code_task_is_left_to_its_own_retries(approved_inpost_return):
    from datetime import timedelta

    from returns.methods import return_codes_republish_lost
    from returns.models import ReturnRequest

    ReturnRequest.objects.filter(pk=approved_inpost_return.pk).update(issue_attempts=1)

    assert return_codes_republish_lost(now=NOW + timedelta(hours=2)) == []


def test_the_demo_simulator_issues_a_code_whose_parcel_then_moves(approved_inpost_return, settings):
    from datetime import UTC, datetime, timedelta

    from carriers.simulator import make_wsgi_app

    clock = {"now": datetime(2026, 12, 1, 10, 0, tzinfo=UTC)}
    app = make_wsgi_app(speed=720, clock=lambda: clock["now"])
    settings.CARRIER_ENV = {"CARRIER_INPOST_RETURNS_BASE_URL": "http://simulator/inpost_returns"}

    issued = return_code_issue(
        return_request_id=approved_inpost_return.pk,
        client=inpost_returns_client(transport=httpx.WSGITransport(app=app)),
        now=NOW,
    )

    assert issued.state == ReturnState.LABEL_ISSUED
    assert len(issued.return_code) == 9 and len(issued.return_tracking_number) == 24
    clock["now"] += timedelta(hours=2)
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as simulator:
        first = simulator.get(f"http://simulator/inpost/v1/tracking/{issued.return_tracking_number}")
        clock["now"] += timedelta(hours=1)
        later = simulator.get(f"http://simulator/inpost/v1/tracking/{issued.return_tracking_number}")
    assert first.status_code == later.status_code == 200
    assert len(later.json()["tracking_details"]) >= 1
