"""CSV import of orders and shipments: dry run with a per-row report, all-or-nothing apply, tenant scope."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from api.csv_import import CsvImportNotApplicable, csv_import_apply, csv_import_check, orders_csv_import
from api.models import CsvImport, CsvImportStatus
from config.csv_files import CsvFileError, csv_decode
from shipments.models import Order, Shipment
from tests.factories import MembershipFactory

GOOD = (
    "order_number;customer_name;customer_email;placed_at;total_amount;marketing_consent;tracking_number;carrier\n"
    "PF-1;Anna Kowalska;anna@example.com;2026-11-02 10:30;249,00;tak;620000000000000000000001;\n"
    "PF-1;;;;;;RR123456785PL;\n"
    "PF-2;Jan Nowak;jan@example.com;2026-11-03T08:00:00+01:00;10;0;12345;dpd\n"
)
BAD = (
    "order_number,customer_email,tracking_number,carrier\n"
    "PF-1,anna@example.com,620000000000000000000001,\n"
    "PF-2,not-an-email,,\n"
    "PF-3,ok@example.com,12345678901,\n"
    ",x@example.com,,\n"
)


def test_dry_run_reports_every_row_and_stores_nothing(shop):
    # when
    report = orders_csv_import(shop=shop, text=GOOD, apply=False)
    # then
    assert report.applied is False
    assert report.error_count == 0
    assert [row.line for row in report.rows] == [2, 3, 4]
    assert report.rows[0].messages == ["Shipment inpost 620000000000000000000001 (carrier detected, 90% sure)."]
    assert report.rows[1].messages == ["Shipment poczta_polska RR123456785PL (carrier detected, 97% sure)."]
    assert report.rows[2].messages == ["Shipment dpd 12345."]
    assert not Order.objects.exists()


def test_apply_stores_orders_and_shipments(shop):
    # when
    report = orders_csv_import(shop=shop, text=GOOD, apply=True)
    # then
    assert report.applied is True
    assert (report.orders_created, report.orders_updated, report.shipments) == (2, 0, 3)
    order = Order.objects.get(shop=shop, number="PF-1")
    assert order.customer_name == "Anna Kowalska"
    assert str(order.total_amount) == "249.00"
    assert order.email_marketing_consent is True  # the legacy column is the email consent
    assert order.placed_at.isoformat() == "2026-11-02T09:30:00+00:00"  # shop time zone Europe/Warsaw
    assert Shipment.objects.filter(order=order).count() == 2


def test_one_bad_row_stores_nothing_and_names_each_problem(shop):
    # when
    report = orders_csv_import(shop=shop, text=BAD, apply=True)
    # then
    assert report.applied is False
    by_line = {row.line: row for row in report.rows}
    assert by_line[2].ok is True
    assert by_line[3].messages == ["customer_email: Enter a valid email address."]
    assert by_line[4].ok is False
    assert "Cannot tell the carrier" in by_line[4].messages[0]
    assert by_line[5].messages == ["order_number: This field is required."]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("number,customer\nA,B\n", "order_number"),
        ("order_number,colour\nA,red\n", "Unknown columns: colour"),
        ("order_number\n", "no rows"),
    ],
)
def test_unreadable_files_are_refused(shop, text, message):
    with pytest.raises(CsvFileError, match=message):
        orders_csv_import(shop=shop, text=text, apply=False)


def test_windows_1250_is_decoded():
    assert csv_decode("order_number;customer_name\nA;Łucja Żółć\n".encode("cp1250")).endswith("Łucja Żółć\n")


# --- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


def _upload(client, shop, text, name="orders.csv"):
    return client.post(
        reverse("admin:api_csvimport_add"),
        {"shop": shop.pk, "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def test_admin_upload_then_apply(owner_client, shop):
    # when
    uploaded = _upload(owner_client, shop, GOOD)
    csv_import = CsvImport.objects.get()
    page = owner_client.get(reverse("admin:api_csvimport_change", args=[csv_import.pk]))
    applied = owner_client.post(reverse("admin:api_csvimport_apply", args=[csv_import.pk]))
    # then
    assert uploaded.status_code == 302
    assert "Apply this import" in page.content.decode()
    assert "carrier detected" in page.content.decode()
    assert applied.status_code == 302
    csv_import.refresh_from_db()
    assert csv_import.status == CsvImportStatus.APPLIED
    assert Order.objects.filter(shop=shop).count() == 2
    # applying twice does nothing more
    owner_client.post(reverse("admin:api_csvimport_apply", args=[csv_import.pk]))
    assert Order.objects.filter(shop=shop).count() == 2


def test_admin_invalid_file_cannot_be_applied(owner_client, shop):
    _upload(owner_client, shop, BAD)
    csv_import = CsvImport.objects.get()
    owner_client.post(reverse("admin:api_csvimport_apply", args=[csv_import.pk]))
    csv_import.refresh_from_db()
    assert csv_import.status == CsvImportStatus.INVALID
    assert csv_import.error_count == 3
    assert not Order.objects.exists()


def test_admin_shop_choice_is_limited_to_own_shops(owner_client, other_shop):
    # when (a forged POST naming another shop)
    response = _upload(owner_client, other_shop, GOOD)
    # then
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CsvImport.objects.exists()
    assert not Order.objects.exists()


def test_admin_other_shops_import_is_invisible(owner_client, other_shop):
    # given
    csv_import = CsvImport.objects.create(shop=other_shop, file_name="x.csv", content=GOOD, status="checked")
    # when
    page = owner_client.get(reverse("admin:api_csvimport_change", args=[csv_import.pk]))
    applied = owner_client.post(reverse("admin:api_csvimport_apply", args=[csv_import.pk]))
    # then
    assert page.status_code == 404
    assert applied.status_code == 404
    assert not Order.objects.exists()


def test_admin_import_is_for_owners_only(shop):
    # given
    marketer = MembershipFactory(shop=shop, role="marketer").user
    client = Client()
    client.force_login(marketer)
    # when
    response = _upload(client, shop, GOOD)
    # then
    assert response.status_code == 403
    assert not Order.objects.exists()


def test_order_changelist_links_to_the_import(owner_client):
    page = owner_client.get(reverse("admin:shipments_order_changelist"))
    assert reverse("admin:api_csvimport_add") in page.content.decode()


# --- the import's states (services) -------------------------------------------------------------


def test_a_checked_import_is_applied_once_then_refused(shop, owner):
    # given a checked import
    csv_import = csv_import_check(shop=shop, upload=io.BytesIO(GOOD.encode()), file_name="o.csv", uploaded_by=owner)
    assert csv_import.status == CsvImportStatus.CHECKED

    # when it is applied, then applied again
    report = csv_import_apply(csv_import_id=csv_import.pk)
    with pytest.raises(
        CsvImportNotApplicable, match=r"^Only a checked import without errors can be applied, and only once\.$"
    ):
        csv_import_apply(csv_import_id=csv_import.pk)

    # then the first stored everything once and the second nothing more
    csv_import.refresh_from_db()
    assert report.applied is True
    assert csv_import.status == CsvImportStatus.APPLIED
    assert csv_import.applied_at is not None
    assert Order.objects.filter(shop=shop).count() == 2


def test_an_invalid_import_is_never_applied(shop, owner):
    csv_import = csv_import_check(shop=shop, upload=io.BytesIO(BAD.encode()), file_name="o.csv", uploaded_by=owner)

    with pytest.raises(CsvImportNotApplicable):
        csv_import_apply(csv_import_id=csv_import.pk)

    csv_import.refresh_from_db()
    assert csv_import.status == CsvImportStatus.INVALID
    assert csv_import.applied_at is None
    assert not Order.objects.exists()


def test_an_unreadable_file_stores_no_import(shop, owner):
    with pytest.raises(CsvFileError, match="neither UTF-8 nor Windows-1250"):
        csv_import_check(
            shop=shop, upload=io.BytesIO(b"order_number\n\x81\x98\n"), file_name="o.csv", uploaded_by=owner
        )

    assert not CsvImport.objects.exists()


def test_admin_refuses_an_oversized_file_without_storing_it(owner_client, shop, settings):
    # given a limit smaller than the file
    settings.CSV_MAX_UPLOAD_BYTES = 1024

    # when it is uploaded
    response = _upload(owner_client, shop, GOOD + "PF-9;Ewa;ewa@example.com;;;;;\n" * 40)

    # then the form says why and nothing is stored
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["The file is larger than 1 kB."]
    assert not CsvImport.objects.exists()
    assert not Order.objects.exists()


def test_yes_and_no_words_set_marketing_consent(shop):
    text = "order_number;marketing_consent\nPF-1;áno\nPF-2;off\n"

    report = orders_csv_import(shop=shop, text=text, apply=True)

    assert report.applied is True
    assert dict(Order.objects.values_list("number", "email_marketing_consent")) == {"PF-1": True, "PF-2": False}
