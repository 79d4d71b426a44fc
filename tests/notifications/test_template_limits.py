"""A shop override past the sandbox's limits: a form error on save, the file template at send time."""

import pytest
from django.test import override_settings

from notifications.models import StatusTemplate
from notifications.rendering import email_render, override_errors, sample_facts

pytestmark = pytest.mark.django_db

ATTACKS = (
    "{{ customer_name * 10**8 }}",
    "{{ 9**(9**9) }}",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
)


@pytest.mark.parametrize("source", ATTACKS)
def test_an_unbounded_override_is_a_form_error(source):
    with override_settings(SHOP_TEMPLATE_RENDER_SECONDS=0.01):
        errors = override_errors(subject="", heading="", body=source)

    assert list(errors) == ["body"]
    assert errors["body"].startswith("Template error: ")


def test_admin_save_of_an_unbounded_override_is_refused(client, owner, shop):
    # given
    client.force_login(owner)
    # when
    response = client.post(
        "/admin/notifications/statustemplate/add/",
        {"shop": shop.pk, "status": "delivered", "language": "en", "subject": ATTACKS[0], "heading": "", "body": ""},
    )
    # then
    assert response.status_code == 200
    assert "Template error: The template builds a value longer than" in response.content.decode()
    assert StatusTemplate.objects.count() == 0


@pytest.mark.parametrize("source", ATTACKS)
def test_an_unbounded_override_falls_back_to_the_file_template_at_send_time(shop, source):
    # given an override stored before the limits existed
    facts = sample_facts(shop=shop, status="delivered", language="en", overrides={"subject": source, "body": source})
    plain = email_render(sample_facts(shop=shop, status="delivered", language="en"))
    # when
    with override_settings(SHOP_TEMPLATE_RENDER_SECONDS=0.01):
        rendered = email_render(facts)
    # then
    assert rendered.subject == plain.subject
    assert rendered.text == plain.text
