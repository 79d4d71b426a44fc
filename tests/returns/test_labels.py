"""The label method: support uploads the PDF (or a carrier's https link), the customer prints it through the token."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from notifications.content import template_email_render
from notifications.models import Message
from returns.models import ReturnRequest, ReturnSettings, ReturnState
from returns.services import ReturnLine, offered_methods, return_approve, return_request_create
from tests.factories import MembershipFactory
from tests.returns.conftest import NOW

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.PUBLIC_BASE_URL = "https://parcelfront.test"


@pytest.fixture
def approved(delivered_order, return_setup):
    ReturnSettings.objects.filter(shop=delivered_order["order"].shop).update(methods=["label", "self_send"])
    mug = delivered_order["mug"]
    requested = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="label",
        now=NOW,
    )
    return return_approve(return_request=requested, now=NOW)


def _change_url(return_request):
    return reverse("admin:returns_returnrequest_change", args=[return_request.pk])


def _items_formset(return_request):
    items = list(return_request.items.order_by("pk"))
    data = {"items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": str(len(items))}
    for index, item in enumerate(items):
        data[f"items-{index}-id"] = str(item.pk)
        data[f"items-{index}-return_request"] = str(return_request.pk)
        data[f"items-{index}-received_quantity"] = "0"
    count = return_request.transitions.count()
    data.update({"transitions-TOTAL_FORMS": str(count), "transitions-INITIAL_FORMS": str(count)})
    for index, step in enumerate(return_request.transitions.order_by("occurred_at", "pk")):
        data[f"transitions-{index}-id"] = str(step.pk)
        data[f"transitions-{index}-return_request"] = str(return_request.pk)
    return data


def _post_label(client, return_request, **fields):
    return client.post(_change_url(return_request), {"label_link": "", **_items_formset(return_request), **fields})


def test_the_shop_offers_the_label_method_once_enabled(approved):
    assert "label" in offered_methods(shop_id=approved.shop_id)
    assert approved.state == ReturnState.APPROVED


def test_support_uploads_the_pdf_and_the_customer_prints_it_with_the_token_only(client, support, approved, tmp_path):
    client.force_login(support)

    response = _post_label(client, approved, label_pdf=SimpleUploadedFile("label.pdf", PDF, "application/pdf"))

    assert response.status_code == 302, response.content.decode()[:2000]
    issued = ReturnRequest.objects.get(pk=approved.pk)
    assert issued.state == ReturnState.LABEL_ISSUED
    # A random name, never the uploaded one nor anything derived from the return.
    assert issued.label_file.name.startswith("returns/labels/") and "label.pdf" not in issued.label_file.name
    assert len(issued.label_file.name.removeprefix("returns/labels/").removesuffix(".pdf")) == 32
    assert (tmp_path / issued.label_file.name).read_bytes() == PDF
    client.logout()

    download = client.get(reverse("returns:label", args=[issued.public_token]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("inline;")
    assert b"".join(download.streaming_content) == PDF
    wrong = issued.public_token[:-4] + ("AAAA" if not issued.public_token.endswith("AAAA") else "BBBB")
    assert client.get(reverse("returns:label", args=[wrong])).status_code == 404
    page = client.get(reverse("returns:detail", args=[issued.public_token])).content.decode()
    assert f'href="/returns/{issued.public_token}/label.pdf"' in page
    assert "/media/" not in page


def test_the_label_email_is_sent_once_and_carries_the_link_exactly_once(client, support, approved):
    client.force_login(support)
    _post_label(client, approved, label_pdf=SimpleUploadedFile("label.pdf", PDF, "application/pdf"))

    messages = Message.objects.filter(trigger_kind="return_label_issued", trigger_id=approved.pk)
    assert messages.count() == 1
    message = messages.get()
    link = f"https://parcelfront.test/returns/{approved.public_token}/label.pdf"
    rendered = template_email_render(
        shop=approved.shop, template=message.template, language="en", context=message.context, unsubscribe_url=""
    )
    assert rendered.subject == "Your return label for order PF-RET-1"
    assert rendered.text.count(link) == 1
    assert rendered.html.count(link) == 1
    assert "give this code" not in rendered.text


def test_a_pasted_https_carrier_link_is_the_customers_label(client, support, approved):
    client.force_login(support)

    _post_label(client, approved, label_link="https://labels.carrier.test/abc.pdf")

    issued = ReturnRequest.objects.get(pk=approved.pk)
    assert (issued.state, issued.label_url, issued.label_file.name) == (
        ReturnState.LABEL_ISSUED,
        "https://labels.carrier.test/abc.pdf",
        "",
    )
    page = client.get(reverse("returns:detail", args=[issued.public_token])).content.decode()
    assert 'href="https://labels.carrier.test/abc.pdf"' in page
    assert client.get(reverse("returns:label", args=[issued.public_token])).status_code == 404


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"label_pdf": ("label.pdf", b"<html>not a pdf</html>")}, "The label must be a PDF file."),
        ({"label_pdf": ("label.pdf", PDF + b"x" * 2048)}, "The label is too big: at most 1.0\xa0KB."),
        ({"label_link": "http://labels.carrier.test/abc.pdf"}, "The label link must be an https:// address."),
        ({"label_link": "javascript:alert(1)"}, "The label link must be an https:// address."),
        (
            {"label_pdf": ("label.pdf", PDF), "label_link": "https://labels.carrier.test/abc.pdf"},
            "not both",
        ),
    ],
)
def test_bad_labels_are_refused_with_a_clear_error_and_nothing_is_stored(
    client, support, approved, settings, tmp_path, fields, error
):
    settings.RETURN_LABEL_MAX_BYTES = 1024
    client.force_login(support)
    if "label_pdf" in fields:
        name, content = fields["label_pdf"]
        fields = {**fields, "label_pdf": SimpleUploadedFile(name, content, "application/pdf")}

    response = _post_label(client, approved, **fields)

    assert response.status_code == 200
    assert error in response.content.decode()
    unchanged = ReturnRequest.objects.get(pk=approved.pk)
    assert (unchanged.state, unchanged.label_file.name, unchanged.label_url) == (ReturnState.APPROVED, "", "")
    assert not (tmp_path / "returns").exists()
    assert not Message.objects.filter(trigger_kind="return_label_issued").exists()


def test_a_label_for_a_return_of_another_method_or_state_is_refused(client, support, delivered_order, return_setup):
    mug = delivered_order["mug"]
    requested = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="self_send",
        now=NOW,
    )
    client.force_login(support)

    response = _post_label(client, requested, label_pdf=SimpleUploadedFile("l.pdf", PDF, "application/pdf"))

    assert "Only a return with the label method gets a label." in response.content.decode()
    assert ReturnRequest.objects.get(pk=requested.pk).label_file.name == ""


def test_another_shops_admin_can_neither_see_nor_upload(client, approved, other_shop, tmp_path):
    stranger = MembershipFactory(shop=other_shop, role="owner").user
    client.force_login(stranger)

    assert client.get(_change_url(approved)).status_code == 404
    response = _post_label(client, approved, label_pdf=SimpleUploadedFile("l.pdf", PDF, "application/pdf"))

    assert response.status_code == 404
    assert ReturnRequest.objects.get(pk=approved.pk).state == ReturnState.APPROVED
    assert not (tmp_path / "returns").exists()


def test_a_marketer_sees_the_return_but_gets_no_upload_field(client, marketer, approved):
    client.force_login(marketer)

    page = client.get(_change_url(approved)).content.decode()

    assert "PF-RET-1" in page
    assert 'name="label_pdf"' not in page


def test_another_shops_custom_domain_does_not_serve_the_label(client, support, approved, other_shop):
    client.force_login(support)
    _post_label(client, approved, label_pdf=SimpleUploadedFile("l.pdf", PDF, "application/pdf"))
    client.logout()
    other_shop.custom_domain = "returns.other.example"
    other_shop.save()
    path = reverse("returns:label", args=[approved.public_token])

    assert client.get(path, HTTP_HOST="returns.other.example").status_code == 404
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("language", ["pl", "en", "de", "cs", "sk"])
def test_the_label_email_speaks_every_language(shop, language):
    context = {
        "order_number": "PF-RET-1",
        "items": [["Mug", 1]],
        "method": "label",
        "return_code": "",
        "label_url": "https://parcelfront.test/returns/tok/label.pdf",
        "return_url": "https://parcelfront.test/returns/tok",
    }

    rendered = template_email_render(
        shop=shop, template="return_label_issued", language=language, context=context, unsubscribe_url=""
    )

    assert "PF-RET-1" in rendered.subject
    assert (language == "en") == rendered.subject.startswith("Your return label")
    assert rendered.text.count("https://parcelfront.test/returns/tok/label.pdf") == 1


def test_the_service_refuses_a_label_before_approval_and_stores_nothing(delivered_order, return_setup, tmp_path):
    from returns.labels import return_label_issue
    from returns.lifecycle import TransitionError

    ReturnSettings.objects.filter(shop=delivered_order["order"].shop).update(methods=["label"])
    mug = delivered_order["mug"]
    requested = return_request_create(
        order=delivered_order["order"],
        lines=[ReturnLine(order_item_id=mug.pk, quantity=1, reason_id=return_setup["size"].pk)],
        resolution="refund",
        method="label",
        now=NOW,
    )

    with pytest.raises(TransitionError, match="approve it first"):
        return_label_issue(return_request=requested, upload=SimpleUploadedFile("l.pdf", PDF, "application/pdf"))

    assert ReturnRequest.objects.get(pk=requested.pk).label_file.name == ""
    assert not (tmp_path / "returns").exists()


def test_an_approved_label_return_tells_the_customer_the_label_is_coming(client, approved):
    page = client.get(reverse("returns:detail", args=[approved.public_token]) + "?lang=en").content.decode()

    assert "We will email you the label to print shortly." in page
    assert "label.pdf" not in page


def test_the_approval_email_of_a_label_return_promises_the_label(approved):
    message = Message.objects.get(trigger_kind="return_approved", trigger_id=approved.pk)

    rendered = template_email_render(
        shop=approved.shop, template=message.template, language="en", context=message.context, unsubscribe_url=""
    )

    assert "We will email you the label to print shortly." in rendered.text
    assert "return code" not in rendered.text
