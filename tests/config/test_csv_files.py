"""The one CSV policy: size checked before reading, one encoding rule, one set of yes/no words, safe exports."""

import csv
import io

import pytest

from campaigns.csv_import import PRODUCT_COLUMNS, csv_rows
from config.csv_files import (
    CsvFileError,
    csv_decode,
    csv_delimiter,
    csv_export_response,
    csv_safe_cell,
    csv_upload_bytes,
    csv_upload_text,
    yes_no,
)


class UnreadableUpload(io.BytesIO):
    """An upload that declares its size and fails the test if anyone reads it."""

    def __init__(self, size: int) -> None:
        super().__init__(b"")
        self.size = size
        self.reads = 0

    def read(self, *args):  # type: ignore[override]
        self.reads += 1
        raise AssertionError("the file was read")


def test_an_upload_declared_too_large_is_refused_before_any_read(settings):
    # given a 1 kB limit and an upload that says it is one byte larger
    settings.CSV_MAX_UPLOAD_BYTES = 1024
    upload = UnreadableUpload(size=1025)

    # when / then it is refused with the limit in the message, and never read
    with pytest.raises(CsvFileError, match=r"^The file is larger than 1 kB\.$"):
        csv_upload_bytes(upload)
    assert upload.reads == 0


def test_the_limit_is_written_in_megabytes(settings):
    settings.CSV_MAX_UPLOAD_BYTES = 2 * 1024 * 1024

    with pytest.raises(CsvFileError, match=r"^The file is larger than 2 MB\.$"):
        csv_upload_bytes(b"x" * (2 * 1024 * 1024 + 1))


def test_an_upload_without_a_size_is_read_only_one_byte_past_the_limit(settings):
    settings.CSV_MAX_UPLOAD_BYTES = 10
    stream = io.BytesIO(b"a" * 1000)

    with pytest.raises(CsvFileError):
        csv_upload_bytes(stream)
    assert stream.tell() == 11


def test_an_upload_at_the_limit_is_read_whole(settings):
    settings.CSV_MAX_UPLOAD_BYTES = 10

    assert csv_upload_bytes(io.BytesIO(b"sku\nA-1\n12")) == b"sku\nA-1\n12"


def test_utf8_with_a_bom_loses_the_bom():
    assert csv_decode("\ufeffsku;name\nA;Łódź\n".encode()) == "sku;name\nA;Łódź\n"


def test_windows_1250_is_the_fallback_for_polish_excel():
    assert csv_decode("name\nŻółć gęślą\n".encode("cp1250")) == "name\nŻółć gęślą\n"


def test_text_in_neither_encoding_is_refused_not_guessed():
    # 0x81 and 0x98 are not characters in Windows-1250, and not valid UTF-8 either
    with pytest.raises(CsvFileError, match="neither UTF-8 nor Windows-1250"):
        csv_decode(b"name\n\x81\x98\n")


def test_upload_text_checks_size_then_decodes(settings):
    settings.CSV_MAX_UPLOAD_BYTES = 100

    assert csv_upload_text(io.BytesIO("a\nó\n".encode("cp1250"))) == "a\nó\n"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [("sku,name,url", ","), ("sku;name;url", ";"), ("sku\tname\turl", "\t"), ("sku", ","), ("a;b,c;d", ";")],
)
def test_the_delimiter_is_the_one_the_header_uses_most(header, delimiter):
    assert csv_delimiter(f"{header}\n1,2;3\t4\n") == delimiter


@pytest.mark.parametrize("word", ["1", "true", "YES", " y ", "t", "on", "Tak", "ja", "ano", "áno"])
def test_yes_words(word):
    assert yes_no(word) is True


@pytest.mark.parametrize("word", ["0", "false", "No", "n", "f", "off", "NIE", "nein", "ne"])
def test_no_words(word):
    assert yes_no(word) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "yess"])
def test_anything_else_is_neither(word):
    assert yes_no(word) is None


@pytest.mark.parametrize("value", ["=1+1", "+48 600", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    assert csv_safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Anna", "", "a=b", 5, -3, None])
def test_other_cells_are_unchanged(value):
    assert csv_safe_cell(value) == value


def test_an_export_is_a_formula_safe_csv_download():
    response = csv_export_response(
        filename="orders.csv", header=["number", "customer_name"], rows=[("PF-1", '=HYPERLINK("x")'), ("PF-2", "Anna")]
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="orders.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["number", "customer_name"],
        ["PF-1", '\'=HYPERLINK("x")'],
        ["PF-2", "Anna"],
    ]


def test_the_catalog_reader_refuses_an_oversized_upload_unread(settings):
    settings.CSV_MAX_UPLOAD_BYTES = 1024
    upload = UnreadableUpload(size=4096)

    parsed = csv_rows(raw=upload, required=("sku",), known=PRODUCT_COLUMNS)

    assert parsed.rows == []
    assert [str(error) for error in parsed.errors] == ["row 0, file: The file is larger than 1 kB."]
    assert upload.reads == 0


def test_the_catalog_reader_reads_tab_separated_files():
    parsed = csv_rows(
        raw=b"sku\tname\turl\nA-1\tKubek\thttps://shop.example/a\n", required=("sku",), known=PRODUCT_COLUMNS
    )

    assert parsed.errors == []
    assert parsed.rows == [{"sku": "A-1", "name": "Kubek", "url": "https://shop.example/a"}]
