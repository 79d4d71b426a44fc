"""A loopback fake ESP speaking Postmark's send and outbound search APIs, for tests, the benchmark and demos.

Point anymail's Postmark backend at it (``ANYMAIL = {"POSTMARK_SERVER_TOKEN": "x",
"POSTMARK_API_URL": fake.url}``) and script its answers: each send takes the next
:class:`Reply` of the script that is meant for it (then the default ``Reply(200)``); a reply with
``to`` answers only the send to that address, so a batch whose calls overlap still meets its script.
A 200 reply records the email as *accepted* as soon as the request arrives — before any scripted
delay — so a slow answer or a client that vanishes mid-request still counts as an email the ESP took,
like a real ESP would.
A ``lost`` reply is the opposite: the request never reaches the ESP (nothing is accepted) and the
client waits ``delay`` seconds for an answer that never comes.

``GET /messages/outbound`` searches what was accepted like Postmark's outbound message search
(``recipient``, ``metadata_<key>``, ``count``/``offset``), so reconciliation can look emails up.

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
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """One scripted answer: an HTTP status, after an optional delay in seconds; for any send, or the one to ``to``."""

    status: int = 200
    delay: float = 0.0
    lost: bool = False
    to: str = ""


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

    def _next_reply(self, payload: dict[str, Any]) -> tuple[Reply, str]:
        """The scripted reply to a send, and the ESP's id of the email when it was accepted."""
        with self.arrived:
            reply = next((reply for reply in self.script if reply.to in ("", payload.get("To"))), None)
            if reply is None:
                reply = Reply()
            else:
                self.script.remove(reply)  # the first equal one: equal replies are interchangeable
            self.requests.append(payload)
            message_id = ""
            if reply.status == 200 and not reply.lost:
                message_id = str(uuid.uuid4())
                self.accepted.append(
                    {
                        **payload,
                        "MessageID": message_id,
                        "ReceivedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                )
            self.arrived.notify_all()
        return reply, message_id

    def search(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """Postmark's outbound message search over the accepted emails (newest first)."""
        recipient = (query.get("recipient") or [""])[0].lower()
        wanted = {
            key.removeprefix("metadata_"): values[0] for key, values in query.items() if key.startswith("metadata_")
        }
        count, offset = int((query.get("count") or ["50"])[0]), int((query.get("offset") or ["0"])[0])
        with self.lock:
            matches = [
                email
                for email in reversed(self.accepted)
                if (not recipient or recipient in str(email.get("To", "")).lower())
                and all(str((email.get("Metadata") or {}).get(key)) == value for key, value in wanted.items())
            ]
        return {
            "TotalCount": len(matches),
            "Messages": [
                {
                    "Tag": email.get("Tag", ""),
                    "MessageID": email["MessageID"],
                    "MessageStream": email.get("MessageStream", "outbound"),
                    "To": [{"Email": address.strip(), "Name": None} for address in str(email.get("To", "")).split(",")],
                    "Cc": [],
                    "Bcc": [],
                    "Recipients": [address.strip() for address in str(email.get("To", "")).split(",")],
                    "ReceivedAt": email["ReceivedAt"],
                    "From": email.get("From", ""),
                    "Subject": email.get("Subject", ""),
                    "Attachments": [],
                    "Status": "Sent",
                    "TrackOpens": False,
                    "TrackLinks": "None",
                    "Metadata": email.get("Metadata") or {},
                    "Sandboxed": False,
                }
                for email in matches[offset : offset + count]
            ],
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path.rstrip("/") != "/messages/outbound":
                    self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                    return
                try:
                    self._answer(200, fake.search(parse_qs(url.query)))
                except ValueError:
                    self._answer(422, {"ErrorCode": 300, "Message": "Invalid search"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    payload = {}
                reply, message_id = fake._next_reply(payload)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.lost:
                    self.close_connection = True
                    return
                if reply.status == 200:
                    body = {
                        "To": payload.get("To", ""),
                        "SubmittedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "MessageID": message_id,
                        "ErrorCode": 0,
                        "Message": "OK",
                    }
                else:
                    body = {"ErrorCode": 300 if reply.status < 500 else 0, "Message": f"Scripted HTTP {reply.status}"}
                self._answer(reply.status, body)

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                encoded = json.dumps(body).encode()
                try:
                    self.send_response(status)
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
