"""A loopback S3 just big enough for django-storages: put, get, head, delete and list objects of one bucket."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape


class FakeS3:
    """Objects in a dict, keyed by (bucket, key); every request's method, path and headers recorded."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _split(self) -> tuple[str, str, dict[str, list[str]]]:
                parts = urlsplit(self.path)
                bucket, _, key = parts.path.lstrip("/").partition("/")
                fake.requests.append((self.command, self.path, dict(self.headers)))
                return bucket, unquote(key), parse_qs(parts.query)

            def _answer(self, status: int, body: bytes = b"", content_type: str = "application/xml") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_PUT(self) -> None:
                bucket, key, _ = self._split()
                fake.objects[(bucket, key)] = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("ETag", '"0"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                bucket, key, query = self._split()
                if not key:
                    self._answer(
                        200, fake.listing(bucket, query.get("prefix", [""])[0], query.get("delimiter", [""])[0])
                    )
                elif (bucket, key) in fake.objects:
                    self._answer(200, fake.objects[(bucket, key)], "application/octet-stream")
                else:
                    self._answer(404, b"<Error><Code>NoSuchKey</Code></Error>")

            def do_HEAD(self) -> None:
                bucket, key, _ = self._split()
                body = fake.objects.get((bucket, key))
                self._answer(200 if body is not None else 404, body or b"", "application/octet-stream")

            def do_DELETE(self) -> None:
                bucket, key, _ = self._split()
                fake.objects.pop((bucket, key), None)
                self._answer(204)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def listing(self, bucket: str, prefix: str, delimiter: str) -> bytes:
        keys = sorted(key for b, key in self.objects if b == bucket and key.startswith(prefix))
        contents, prefixes = [], set()
        for key in keys:
            rest = key[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            else:
                contents.append(key)
        xml = "".join(
            f"<Contents><Key>{escape(k)}</Key><Size>{len(self.objects[(bucket, k)])}</Size></Contents>"
            for k in contents
        )
        xml += "".join(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in sorted(prefixes))
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>{bucket}</Name><Prefix>{escape(prefix)}</Prefix>'
            f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><IsTruncated>false</IsTruncated>{xml}</ListBucketResult>"
        ).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
