"""Two requests racing with one Idempotency-Key: one write, the same answer twice (needs PostgreSQL)."""

import json
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.idempotency import idempotency_records_purge
from api.models import IdempotencyRecord
from shipments.models import Order


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_write_once(issued_key):
    # given
    barrier = threading.Barrier(2)
    responses = []

    def post():
        client = Client(HTTP_AUTHORIZATION=f"Bearer {issued_key.raw_key}")
        barrier.wait()
        response = client.post(
            "/api/v1/orders",
            json.dumps({"number": "RACE-1"}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="race",
        )
        responses.append((response.status_code, response.json()))
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert Order.objects.filter(number="RACE-1").count() == 1
    assert [status for status, _ in responses] == [201, 201]
    assert responses[0][1] == responses[1][1]


def test_records_expire_after_a_day(api, shop):
    api.post("/orders", {"number": "OLD-1"}, headers={"Idempotency-Key": "old"})
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert idempotency_records_purge() == 1
        # an expired key may be used again for a new request
        reused = api.post("/orders", {"number": "NEW-1"}, headers={"Idempotency-Key": "old"})
    assert reused.status_code == 201
    assert IdempotencyRecord.objects.get(key="old").response_body["number"] == "NEW-1"
