"""Marketer-typed content: sandboxed placeholders, Markdown sanitized with nh3."""

from campaigns.content import markdown_to_safe_html, render_content, template_errors

CONTEXT = {
    "first_name": "Ola",
    "customer_name": "Ola Nowak",
    "order_number": "77",
    "shop_name": "S",
    "discount_code": "X",
}


def test_markdown_becomes_safe_html():
    html = markdown_to_safe_html(
        "**Hi** [shop](https://shop.example) <script>alert(1)</script> "
        '<img src=x onerror=alert(1)> [bad](javascript:alert(1)) <a href="https://x" onclick="evil()">x</a>'
    )

    assert "<strong>Hi</strong>" in html
    assert '<a href="https://shop.example" rel="noopener noreferrer">shop</a>' in html
    # Raw HTML is off in Markdown: typed tags stay visible text, never elements or attributes.
    for forbidden in ("<script", "<img", 'href="javascript:', '<a href="https://x"'):
        assert forbidden not in html
    assert "&lt;script&gt;" in html


def test_links_are_rewritten_when_asked():
    html = markdown_to_safe_html(
        "[a](https://shop.example/a?x=1&y=2) [m](mailto:hi@shop.example)", rewrite_link=str.upper
    )

    assert 'href="HTTPS://SHOP.EXAMPLE/A?X=1&amp;Y=2"' in html
    assert 'href="mailto:hi@shop.example"' in html


def test_placeholders_are_filled():
    rendered = render_content(
        subject="{{ first_name }}, order {{ order_number }}",
        heading="Code {{ discount_code }}",
        body_markdown="Thanks from **{{ shop_name }}**",
        context=CONTEXT,
    )

    assert (rendered.subject, rendered.heading) == ("Ola, order 77", "Code X")
    assert rendered.body_html == "<p>Thanks from <strong>S</strong></p>"
    assert rendered.body_text == "Thanks from S"


def test_placeholder_values_cannot_inject_html():
    rendered = render_content(
        subject="",
        heading="",
        body_markdown="Hi {{ first_name }}",
        context={**CONTEXT, "first_name": "<script>alert(1)</script>"},
    )

    assert "<script>" not in rendered.body_html


def test_unknown_placeholders_and_sandbox_escapes_are_errors():
    assert template_errors("Hi {{ first_name }}") is None
    assert "placeholders:" in template_errors("{{ password }}")
    assert template_errors("{{ first_name.__class__.__mro__ }}") is not None
    assert template_errors("{% for x in %}") is not None
