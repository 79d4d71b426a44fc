"""Logs: JSON lines with request, shop and task ids when asked for, the readable line otherwise; both masked."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import logs
from config.redaction import SensitiveDataFilter, mask_sensitive

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to anna.kowalska@example.com", "to [email]@example.com"),
        ("call +48 600 100 200 or 601-200-300", "call [phone] or [phone]"),
        ("Authorization: Bearer eyJhbGciOi.xyz", "Authorization: Bearer [token]"),
        ("key pf_0a1b2c3d4e_s3cr3tK3yMaterial", "key pf_0a1b2c3d4e_[key]"),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "secret whsec_[secret]"),
        ("GET /t/AbCdEfGhIjKlMnOpQrSt?lang=pl", "GET /t/[token]?lang=pl"),
        ("https://x.test/hook?token=abc123&x=1", "https://x.test/hook?token=[secret]&x=1"),
        ("order_page_key(token=token)", "order_page_key(token=token)"),
        ("parcel 620000000000000000000001 of order PF-10046", "parcel 620000000000000000000001 of order PF-10046"),
    ],
)
def test_the_masking_helper(text, masked):
    assert mask_sensitive(text) == masked


def _json_lines(record_logger: logging.Logger) -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.LogContextFilter())
    handler.addFilter(SensitiveDataFilter())
    record_logger.addHandler(handler)
    record_logger.setLevel(logging.INFO)
    record_logger.propagate = False
    return stream


def test_json_lines_carry_request_and_shop_and_mask_what_is_personal(rf):
    # given a request to a shop's custom domain
    stream = _json_lines(logging.getLogger("tests.ops.json"))
    request = rf.get("/")
    request.portal_shop_id = 42

    # when a line is logged while handling it, with an exception
    with logs.request_context(request, "req-0123456789"):
        try:
            raise RuntimeError("refused for anna@example.com")
        except RuntimeError:
            logging.getLogger("tests.ops.json").exception(
                "sending to %s failed", "anna@example.com", extra={"request": rf.get("/t/AbCdEfGhIjKlMnOpQr")}
            )

    # then one JSON object with the ids, and no address anywhere (extras such as the request object included)
    line = json.loads(stream.getvalue())
    assert (line["level"], line["logger"], line["message"]) == (
        "ERROR",
        "tests.ops.json",
        "sending to [email]@example.com failed",
    )
    assert (line["request_id"], line["shop_id"], line["task_id"]) == ("req-0123456789", 42, None)
    assert "anna@" not in stream.getvalue()
    assert "[email]@example.com" in line["exc_info"]
    assert line["request"] == "<WSGIRequest: GET '/t/[token]'>"


def test_json_lines_of_a_task_carry_its_id_and_its_shop(settings):
    from celery import shared_task

    stream = _json_lines(logging.getLogger("tests.ops.task"))

    @shared_task(name="tests.ops.log_something")
    def log_something(shop_id: int) -> None:
        logging.getLogger("tests.ops.task").info("working")

    log_something.apply(kwargs={"shop_id": 7}, task_id="task-abc")

    line = json.loads(stream.getvalue())
    assert (line["task_id"], line["shop_id"], line["task_name"], line["request_id"]) == (
        "task-abc",
        7,
        "tests.ops.log_something",
        "",
    )


def test_a_request_gets_an_id_header_and_keeps_a_proxys(client, db):
    own = client.get("/no-such-page")
    given = client.get("/no-such-page", HTTP_X_REQUEST_ID="lb-request-12345678")
    assert len(own["X-Request-ID"]) == 32
    assert given["X-Request-ID"] == "lb-request-12345678"
    assert client.get("/no-such-page", HTTP_X_REQUEST_ID="bad id\nforged")["X-Request-ID"] != "bad id\nforged"


@pytest.mark.parametrize(("log_format", "is_json"), [("json", True), ("plain", False)])
def test_log_format_switches_the_whole_process(tmp_path, log_format, is_json):
    code = "import django, logging; django.setup(); logging.getLogger('parcelfront').warning('mail to ola@example.com')"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PARCELFRONT_VAR_DIR": str(tmp_path)}
    env["LOG_FORMAT"] = log_format
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    line = result.stderr.strip().splitlines()[-1]
    assert "ola@" not in line
    if is_json:
        assert json.loads(line)["message"] == "mail to [email]@example.com"
    else:
        assert line.endswith("WARNING parcelfront mail to [email]@example.com")


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PARCELFRONT_VAR_DIR": str(tmp_path)}
    env["LOG_FORMAT"] = "xml"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'" in result.stderr
