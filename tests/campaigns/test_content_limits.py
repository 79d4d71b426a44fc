"""Marketer content past the sandbox's limits: a validation error, and never a stalled render."""

from campaigns.content import render_content, template_errors

CONTEXT = {
    "first_name": "Ola",
    "customer_name": "Ola Nowak",
    "order_number": "77",
    "shop_name": "S",
    "discount_code": "X",
}


def test_unbounded_placeholders_are_validation_errors():
    assert "builds a value longer than" in template_errors("{{ customer_name * 10**8 }}")
    assert "too high a power" in template_errors("{{ 9**(9**9) }}")


def test_a_stored_unbounded_placeholder_renders_as_its_text():
    rendered = render_content(subject="{{ first_name * 10**8 }}", heading="", body_markdown="", context=CONTEXT)

    assert rendered.subject == "{{ first_name * 10**8 }}"
