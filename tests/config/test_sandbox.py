"""The bounded sandbox of shop-edited templates: each resource attack ends in a TemplateError, quickly."""

import pytest
from django.test import override_settings
from jinja2 import TemplateError

from config.sandbox import TemplateLimitExceeded, sandbox_render

VALUES = {"customer_name": "Anna Kowalska", "order_number": "1001"}


def test_ordinary_snippets_render_as_before():
    source = (
        "{% if customer_name %}Hi {{ customer_name.split()[0]|title }}{% else %}Hello{% endif %}, "
        "order {{ order_number|default('?') }} · {{ customer_name ~ '!' }} · {{ 2 * 3 }} · {{ 2 ** 10 }} · "
        "{% for letter in 'abc' %}{{ loop.index }}{{ letter|upper }}{% endfor %} · {{ range(3)|join(',') }} · "
        "{{ customer_name|replace('Anna', 'Ania') }} · {{ '-' * 3 }}"
    )

    assert sandbox_render(source, VALUES) == (
        "Hi Anna, order 1001 · Anna Kowalska! · 6 · 1024 · 1A2B3C · 0,1,2 · Ania Kowalska · ---"
    )


@pytest.mark.parametrize(
    "source",
    [
        "{{ customer_name * 10**8 }}",
        "{{ 10**8 * customer_name }}",
        "{{ (range(1000)|list) * 1000 }}",
        "{{ customer_name|replace('', customer_name * 1000) }}",
        "{{ range(1000)|join(customer_name * 100) }}",
        "{% set a = customer_name * 5000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c }}",
        "{{ customer_name * 5000 + customer_name * 5000 }}",
        "{{ [customer_name * 5000, customer_name * 5000] }}",
    ],
)
def test_values_past_the_output_cap_are_refused_before_they_are_built(source):
    with override_settings(SHOP_TEMPLATE_MAX_OUTPUT=100_000), pytest.raises(TemplateLimitExceeded):
        sandbox_render(source, VALUES)


@pytest.mark.parametrize("source", ["{{ 9**(9**9) }}", "{{ 2**5000 }}", "{{ (2**3000) * (2**3000) }}"])
def test_huge_numbers_are_refused_and_never_folded_at_compile_time(source):
    with pytest.raises(TemplateLimitExceeded):
        sandbox_render(source, VALUES)


def test_range_is_capped():
    with override_settings(SHOP_TEMPLATE_MAX_RANGE=50), pytest.raises(TemplateLimitExceeded, match="at most 50"):
        sandbox_render("{% for i in range(51) %}{% endfor %}", VALUES)


def test_nested_loops_stop_at_the_deadline():
    source = "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}"

    with override_settings(SHOP_TEMPLATE_RENDER_SECONDS=0.01), pytest.raises(TemplateLimitExceeded, match="too long"):
        sandbox_render(source, VALUES)


def test_output_stops_past_the_cap():
    source = "{% for i in range(1000) %}{% for j in range(1000) %}{{ customer_name }}{% endfor %}{% endfor %}"

    with override_settings(SHOP_TEMPLATE_MAX_OUTPUT=1000), pytest.raises(TemplateLimitExceeded, match="more than 1000"):
        sandbox_render(source, VALUES)


@pytest.mark.parametrize(
    "source",
    [
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ customer_name.ljust(10**9) }}",
        "{{ customer_name|center(10**9) }}",
        "{{ lipsum(10**6) }}",
        "{% set ns = namespace(s='x') %}{{ ns.s }}",
        "{% macro grow(s) %}{{ s }}{{ s }}{% endmacro %}{{ grow(customer_name) }}",
        "{% set x %}{{ customer_name }}{% endset %}{{ x }}",
        "{% for x in [1] recursive %}{{ loop([]) }}{% endfor %}",
        "{% filter upper %}{{ customer_name }}{% endfilter %}",
        "{{ customer_name.__class__.__mro__ }}",
    ],
)
def test_padding_and_buffering_constructs_are_not_offered(source):
    with pytest.raises(TemplateError):
        sandbox_render(source, VALUES)


@pytest.mark.parametrize("source", ["{{ 1 / 0 }}", "{{ 'x'|int + [] }}", "{{ 1e308 ** 2 }}"])
def test_any_other_failure_is_a_template_error(source):
    with pytest.raises(TemplateError):
        sandbox_render(source, VALUES)
