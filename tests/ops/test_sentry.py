"""Sentry: on only with SENTRY_DSN, Django and Celery integrated, and no customer data in what it would send.

Each case runs in a subprocess (Sentry patches Django globally) with the network transport replaced by one
that keeps the envelopes, so nothing leaves the machine.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CAPTURE = """
import json, django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

class Kept(Transport):
    envelopes = []
    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

client = sentry_sdk.get_client()
active = client.is_active()
integrations = sorted(client.integrations) if active else []
events = []
if active:
    client.transport = Kept(client.options)
    def fail_for(customer_email, phone):
        api_key = "pf_0123456789_SuperSecretKeyMaterial"
        raise ValueError(f"could not send to {customer_email} ({phone}) via /t/AbCdEfGhIjKlMnOp1234 with {api_key}")
    try:
        fail_for("anna.kowalska@example.com", "+48 600 100 200")
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.capture_message("signup of jan@example.org, Bearer abc.def.ghi")
    client.flush(timeout=2)
    events = [item.payload.json for envelope in Kept.envelopes for item in envelope.items if item.headers.get("type") == "event"]
print(json.dumps({"active": active, "integrations": integrations, "pii": client.options.get("send_default_pii") if active else None, "events": events}))
"""


def _run(env: dict[str, str], tmp_path: Path) -> dict:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "SENTRY"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "PARCELFRONT_VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "-c", CAPTURE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_dsn_sentry_stays_off(tmp_path):
    assert _run({}, tmp_path) == {"active": False, "integrations": [], "pii": None, "events": []}


def test_with_a_dsn_errors_are_captured_without_emails_phones_tokens_or_keys(tmp_path):
    # given a DSN (nothing listens there; the transport is replaced before anything is sent)
    report = _run({"SENTRY_DSN": "https://public@sentry.invalid/1"}, tmp_path)

    # then Django and Celery are integrated, personal data is off, and both events arrived scrubbed
    assert report["active"] is True
    assert {"django", "celery"} <= set(report["integrations"])
    assert report["pii"] is False
    assert len(report["events"]) == 2
    sent = json.dumps(report["events"])
    for secret in ("anna.kowalska", "600 100 200", "AbCdEfGhIjKlMnOp1234", "SuperSecretKeyMaterial", "jan@", "abc.def"):
        assert secret not in sent, secret
    error = report["events"][0]["exception"]["values"][0]
    assert error["value"] == ("could not send to [email]@example.com ([phone]) via /t/[token] with pf_0123456789_[key]")
    frame_vars = error["stacktrace"]["frames"][-1]["vars"]
    assert frame_vars["customer_email"] == "[Filtered]"
    assert frame_vars["api_key"] == "[Filtered]"
