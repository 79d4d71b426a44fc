"""Property-based run of schemathesis over the OpenAPI document, in-process through WSGI."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from shops.services import api_key_create
from tests.factories import OrderFactory, ShipmentFactory, ShopFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# The test sends a valid key itself (401s are covered by test_safe_writes); security is not fuzzed.
schema.config.generation.update(with_security_parameters=False)
# A body over API_MAX_BODY_BYTES is refused with 413 before validation; that is a rejection too.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")


@pytest.fixture
def keep_test_connection():
    # Like Django's test client: the WSGI handler must not close the test transaction's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db, keep_test_connection):
    shop = ShopFactory()
    order = OrderFactory(shop=shop, number="PF-1")
    ShipmentFactory(order=order)
    return {"Authorization": f"Bearer {api_key_create(shop=shop, name='schemathesis').raw_key}"}


@schema.parametrize()
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_errors_on_its_own_schema(case, bearer, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    # Schema-valid but semantically wrong input (a made-up carrier, a tracking number no carrier owns, a
    # forged cursor) is rightly a 422, so "positive data must be accepted" does not apply; every other check does.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
