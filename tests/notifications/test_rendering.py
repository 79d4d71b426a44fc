"""Rendering helpers: the customer's timezone, quiet hours, ETA wording, previews on sample data."""

from datetime import UTC, datetime, time

import pytest

from notifications.rendering import customer_timezone, email_render, eta_text, in_quiet_hours, sample_facts
from shipments.status_texts import status_label
from shops.languages import SUPPORTED_LANGUAGES


def test_customer_timezone_is_the_countrys_single_zone_else_the_shops():
    assert customer_timezone(country="CZ", shop_timezone="Europe/Warsaw") == "Europe/Prague"
    assert customer_timezone(country="us", shop_timezone="Europe/Warsaw") == "Europe/Warsaw"
    assert customer_timezone(country="", shop_timezone="Europe/Berlin") == "Europe/Berlin"


def test_daytime_quiet_window_ends_the_same_day():
    moment = datetime(2026, 11, 4, 12, 30, tzinfo=UTC)  # 13:30 in Warsaw
    ends = in_quiet_hours(moment=moment, start=time(13, 0), end=time(15, 0), timezone="Europe/Warsaw")
    assert ends == datetime(2026, 11, 4, 14, 0, tzinfo=UTC)


def test_overnight_quiet_window_after_midnight_ends_that_morning():
    moment = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)  # 03:00 in Warsaw
    ends = in_quiet_hours(moment=moment, start=time(21, 0), end=time(8, 0), timezone="Europe/Warsaw")
    assert ends == datetime(2026, 11, 4, 7, 0, tzinfo=UTC)


def test_outside_quiet_hours_or_without_them_nothing_waits():
    moment = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    assert in_quiet_hours(moment=moment, start=time(21, 0), end=time(8, 0), timezone="Europe/Warsaw") is None
    assert in_quiet_hours(moment=moment, start=None, end=None, timezone="Europe/Warsaw") is None


def test_eta_over_several_days_names_both_days():
    text = eta_text(
        eta_from=datetime(2026, 11, 5, 9, 0, tzinfo=UTC),
        eta_to=datetime(2026, 11, 6, 17, 0, tzinfo=UTC),
        timezone="Europe/Berlin",
        language="de",
    )
    assert text == "Do., 5. November \u2013 Fr., 6. November"


@pytest.mark.django_db
@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_status_renders_in_every_language_on_sample_data(shop, language):
    from carriers.types import Status

    for status in Status:
        rendered = email_render(sample_facts(shop=shop, status=status.value, language=language))
        assert rendered.subject.startswith(status_label(status.value, language))
        assert status_label(status.value, language) in rendered.html
        assert "<style>" in rendered.html and 'style="' in rendered.html
        assert "{{" not in rendered.text


def test_a_reason_replaces_the_generic_explanation_in_the_email(shop):
    from dataclasses import replace

    facts = replace(sample_facts(shop=shop, status="exception", language="en"), reason="address_problem")
    rendered = email_render(facts)
    explanation = "The carrier has a problem with the delivery address; please contact us."
    assert explanation in rendered.text
    assert explanation in rendered.html
    assert "Something went wrong on the way" not in rendered.text


@pytest.mark.django_db
@pytest.mark.parametrize("font", ["system", "classical"])
def test_the_shops_font_stack_reaches_the_inlined_styles_whole(shop, font):
    import re

    from shops.models import FONT_STACKS

    # given: a font stack whose family names are quoted
    shop.font = font
    # when
    rendered = email_render(sample_facts(shop=shop, status="in_transit", language="en"))
    # then: the stylesheet and the body's inlined style carry it with its quotes, not cut at an escaped one
    body_style = re.search(r'<body style="([^"]*)"', rendered.html.replace("&quot;", "'").replace("&#34;", "'"))
    assert f"font-family: {FONT_STACKS[font]};" in rendered.html
    assert body_style is not None
    assert FONT_STACKS[font].replace('"', "'") in body_style.group(1)
