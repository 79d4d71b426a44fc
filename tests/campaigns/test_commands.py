"""The ops command that runs one campaign tick."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_campaigns_tick_reports_what_it_did():
    out = StringIO()

    call_command("campaigns_tick", stdout=out)

    assert out.getvalue().strip() == "due campaign emails published: 0"
