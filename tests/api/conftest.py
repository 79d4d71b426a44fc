"""Fixtures of the API tests: issued keys for two shops and a JSON client."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from shops.services import api_key_create


class ApiClient:
    """A test client speaking JSON with one shop's API key."""

    def __init__(self, raw_key: str | None) -> None:
        self.raw_key = raw_key
        self.client = Client()

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {self.raw_key}"} if self.raw_key else {}
        merged.update(headers or {})
        return merged

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(
        self,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ):
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(f"/api/v1{path}", data, content_type=content_type, headers=self._headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None):
        return self.client.delete(f"/api/v1{path}", headers=self._headers(headers))


@pytest.fixture
def issued_key(shop):
    return api_key_create(shop=shop, name="Integration")


@pytest.fixture
def api(issued_key):
    return ApiClient(issued_key.raw_key)


@pytest.fixture
def other_api(other_shop):
    return ApiClient(api_key_create(shop=other_shop, name="Other").raw_key)


@pytest.fixture
def anonymous_api(db):
    return ApiClient(None)


class Receiver:
    """A loopback HTTP server that records webhook requests and answers with queued status codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"nope")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    server = Receiver()
    yield server
    server.close()
