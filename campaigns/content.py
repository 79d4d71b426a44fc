"""Rendering what marketers type: sandboxed placeholders, Markdown to sanitized HTML, tracked links.

Subject, heading and body may use a few placeholders (``{{ first_name }}``, ``{{ order_number }}``,
``{{ shop_name }}``, ``{{ discount_code }}``) rendered in the bounded sandbox of :mod:`config.sandbox`; the body is
Markdown (markdown-it-py, raw HTML off) and its HTML goes through nh3 with a short allow-list, so a
marketer can never inject script, style or event handlers into an email or the tracking page.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import unescape

import nh3
from jinja2 import TemplateError
from markdown_it import MarkdownIt

from config.sandbox import sandbox_render

PLACEHOLDERS = ("first_name", "customer_name", "order_number", "shop_name", "discount_code")
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass(frozen=True)
class RenderedContent:
    """One content block ready for an email or the page: plain subject/heading, safe HTML body."""

    subject: str
    heading: str
    body_html: str
    body_text: str


def placeholder_context(
    *, customer_name: str, order_number: str, shop_name: str, discount_code: str = ""
) -> dict[str, str]:
    """The values placeholders may use; nothing else of the order is reachable from a template."""
    return {
        "first_name": (customer_name.split() or [""])[0],
        "customer_name": customer_name,
        "order_number": order_number,
        "shop_name": shop_name,
        "discount_code": discount_code,
    }


def render_placeholders(text: str, context: Mapping[str, str]) -> str:
    """Fill placeholders in ``text`` inside the sandbox; raises jinja2.TemplateError on bad syntax or limits."""
    if "{" not in text:
        return text
    return sandbox_render(text, context)


def template_errors(text: str) -> str | None:
    """Why ``text`` cannot be rendered (unknown placeholder, bad syntax), or None when it can."""
    sample = placeholder_context(customer_name="Anna Kowalska", order_number="1", shop_name="Shop", discount_code="X")
    try:
        render_placeholders(text, sample)
    except TemplateError as error:
        return f"{error.message or error} (placeholders: {', '.join('{{ ' + name + ' }}' for name in PLACEHOLDERS)})"
    return None


def markdown_to_safe_html(markdown: str, *, rewrite_link: Callable[[str], str] | None = None) -> str:
    """Markdown → HTML with only harmless tags; ``rewrite_link`` turns each http(s) href into a tracked one."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if (
            tag == "a"
            and attribute == "href"
            and rewrite_link is not None
            and value.startswith(("http://", "https://"))
        ):
            return rewrite_link(unescape(value))
        return value

    return nh3.clean(
        _markdown.render(markdown).strip(),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=attribute_filter,
        link_rel="noopener noreferrer",
    )


def html_to_text(html: str) -> str:
    """A plain-text version of sanitized HTML for the text part of an email."""
    text = html.replace("</p>", "\n\n").replace("<br>", "\n").replace("</li>", "\n")
    return unescape(nh3.clean(text, tags=set())).strip()


def render_content(
    *,
    subject: str,
    heading: str,
    body_markdown: str,
    context: Mapping[str, str],
    rewrite_link: Callable[[str], str] | None = None,
) -> RenderedContent:
    """Render one content row with ``context``; a template error renders the text without placeholders."""
    filled = {}
    for name, text in (("subject", subject), ("heading", heading), ("body", body_markdown)):
        try:
            filled[name] = render_placeholders(text, context)
        except TemplateError:
            # Validation refuses such content on save; this keeps an old row from breaking a send.
            filled[name] = text
    body_html = markdown_to_safe_html(filled["body"], rewrite_link=rewrite_link) if filled["body"] else ""
    return RenderedContent(
        subject=" ".join(filled["subject"].split()),
        heading=filled["heading"].strip(),
        body_html=body_html,
        body_text=html_to_text(body_html),
    )
