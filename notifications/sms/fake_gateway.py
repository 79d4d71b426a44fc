"""A loopback fake SMS gateway speaking SMSAPI's ``/sms.do`` and Twilio's ``Messages.json``, for tests and demos.

It also answers the read-only credential checks ``manage.py doctor`` makes (SMSAPI ``GET /profile``,
Twilio ``GET /2010-04-01/Accounts/{sid}.json``): a token or auth token containing ``revoked`` is refused
with HTTP 401 like a real gateway does, any other is accepted.

Point the platform account at it (``SMS_SMSAPI_BASE_URL`` / ``SMS_TWILIO_BASE_URL`` = ``fake.url``) and
script its answers: each request takes the next :class:`Reply` (then the default 200). Like a real
gateway, an accepted SMS counts as taken when the request arrives, before any scripted delay, so a
client that times out still leaves one SMS sent. SMSAPI's ``check_idx`` is honoured: a repeated
``idx`` is answered with error 105 and sends nothing new.

Run standalone: ``python -m notifications.sms.fake_gateway --port 8026``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# The read-only calls the doctor makes; a credential with this word in it is refused (the demo's broken key).
TWILIO_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+\.json$")
REVOKED = "revoked"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an HTTP status (and gateway error code for 4xx), after an optional delay."""

    status: int = 200
    delay: float = 0.0
    code: int | None = None


class FakeSmsGateway:
    """A threaded loopback server accepting SMSAPI and Twilio send calls; counts what it took."""

    def __init__(self, script: list[Reply] | None = None, port: int = 0) -> None:
        self.script: deque[Reply] = deque(script or [])
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> FakeSmsGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[Reply, dict[str, Any]]:
        with self.lock:
            reply = self.script.popleft() if self.script else Reply()
            request = {"path": path, "form": form, "headers": headers}
            self.requests.append(request)
            smsapi = path.endswith("/sms.do")
            duplicate = (
                smsapi
                and form.get("check_idx") == "1"
                and any(item["form"].get("idx") == form.get("idx") for item in self.accepted)
            )
            if reply.status >= 300 or reply.code is not None:  # SMSAPI also answers errors with HTTP 200
                return reply, _error_body(smsapi, reply)
            if duplicate:
                return reply, {"error": 105, "message": "Duplicated idx"}
            self.accepted.append(request)
        provider_id = uuid.uuid4().hex.upper()
        if smsapi:
            number = form.get("to", "")
            item = {"id": provider_id[:24], "points": 0.16, "number": number, "date_sent": int(time.time())}
            item.update(submitted_number=number, status="QUEUE", error=None, idx=form.get("idx"), parts=1)
            return reply, {"count": 1, "list": [item]}
        return reply, {
            "sid": f"SM{provider_id[:32].lower()}",
            "status": "queued",
            "to": form.get("To", ""),
            "from": form.get("From", ""),
            "body": form.get("Body", ""),
            "num_segments": "1",
            "error_code": None,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
                reply, body = fake._answer(self.path, form, dict(self.headers.items()))
                if reply.delay:
                    time.sleep(reply.delay)
                status = (
                    201 if reply == Reply(delay=reply.delay) and self.path.endswith("Messages.json") else reply.status
                )
                encoded = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(encoded)))
                    self.end_headers()
                    self.wfile.write(encoded)
                except OSError:
                    pass  # the client gave up; the gateway's decision stands

            def do_GET(self) -> None:
                if self.path == "/profile" or TWILIO_ACCOUNT_PATH.match(self.path):
                    refused = REVOKED in _credential(self.headers.get("Authorization", ""))
                    status, body = (401, {"message": "Authorization failed"}) if refused else (200, {"ok": True})
                else:
                    status, body = 404, {"message": "Not found"}
                encoded = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests count requests instead of reading logs."""

        return Handler


def _credential(authorization: str) -> str:
    """The secret of a Bearer token or of basic auth's password (empty when unreadable)."""
    scheme, _, value = authorization.partition(" ")
    if scheme == "Basic":
        try:
            return base64.b64decode(value).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return value


def _error_body(smsapi: bool, reply: Reply) -> dict[str, Any]:
    if smsapi:
        return {"error": reply.code or 8, "message": f"Scripted HTTP {reply.status}"}
    return {"code": reply.code or 20500, "message": f"Scripted HTTP {reply.status}", "status": reply.status}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8026)
    arguments = parser.parse_args()
    with FakeSmsGateway(port=arguments.port) as fake:
        print(f"fake SMS gateway (SMSAPI /sms.do, Twilio Messages.json) on {fake.url}; Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(5)
        except KeyboardInterrupt:
            pass
    print(f"accepted {len(fake.accepted)} SMS", flush=True)


if __name__ == "__main__":
    main()
