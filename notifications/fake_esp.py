"""A loopback fake ESP speaking Postmark's send API, for tests, the benchmark and demos.

Point anymail's Postmark backend at it (``ANYMAIL = {"POSTMARK_SERVER_TOKEN": "x",
"POSTMARK_API_URL": fake.url}``) and script its answers: each request takes the next
:class:`Reply` of the script (then the default ``Reply(200)``). A 200 reply records the email as
*accepted* as soon as the request arrives — before any scripted delay — so a slow answer or a
client that vanishes mid-request still counts as an email the ESP took, like a real ESP would.

Run standalone: ``python -m notifications.fake_esp --port 8025``.
"""

import argparse
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an HTTP status, after an optional delay in seconds."""

    status: int = 200
    delay: float = 0.0


class FakeEsp:
    """A threaded loopback HTTP server that accepts Postmark ``/email`` calls and counts them."""

    def __init__(self, script: list[Reply] | None = None, port: int = 0) -> None:
        self.script: deque[Reply] = deque(script or [])
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> "FakeEsp":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self, script: list[Reply] | None = None) -> None:
        """Forget what arrived and script the next answers (one server across several tests)."""
        with self.lock:
            self.script = deque(script or [])
            self.requests.clear()
            self.accepted.clear()

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> bool:
        """Block until ``count`` requests arrived (or ``timeout``); True when they did."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.arrived.wait(remaining)
        return True

    def _next_reply(self, payload: dict[str, Any]) -> Reply:
        with self.arrived:
            reply = self.script.popleft() if self.script else Reply()
            self.requests.append(payload)
            if reply.status == 200:
                self.accepted.append(payload)
            self.arrived.notify_all()
        return reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                reply = fake._next_reply(payload)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status == 200:
                    body = {
                        "To": payload.get("To", ""),
                        "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "MessageID": str(uuid.uuid4()),
                        "ErrorCode": 0,
                        "Message": "OK",
                    }
                else:
                    body = {"ErrorCode": 300 if reply.status < 500 else 0, "Message": f"Scripted HTTP {reply.status}"}
                encoded = json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(encoded)))
                    self.end_headers()
                    self.wfile.write(encoded)
                except OSError:
                    pass  # the client gave up (timeout) or died; the ESP's decision stands

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests and the benchmark count requests instead of reading logs."""

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    arguments = parser.parse_args()
    with FakeEsp(port=arguments.port) as fake:
        print(f"fake ESP (Postmark API) on {fake.url}; Ctrl-C to stop", flush=True)
        try:
            while True:
                time.sleep(5)
        except KeyboardInterrupt:
            pass
    print(f"accepted {len(fake.accepted)} emails", flush=True)


if __name__ == "__main__":
    main()
