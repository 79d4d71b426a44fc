"""Media on S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Backblaze B2, ...) through django-storages.

Settings switch it on (``MEDIA_S3_BUCKET``; see ``config/settings.py``); without them media stays in the
local ``MEDIA_ROOT``. The bucket stays private: return photos and labels are personal data and get signed
URLs that expire; brand images (``shops/...``: logos, favicons, banners) are read by every email client for
years, so they get plain URLs — the bucket (or a CDN in front, ``MEDIA_S3_PUBLIC_URL``) must allow public
reads of that one prefix.
"""

from __future__ import annotations

from typing import Any

from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# Upload prefixes whose files are public by design (the models' upload_to).
PUBLIC_PREFIXES = ("shops/",)


class MediaStorage(S3Storage):
    """Private bucket, signed URLs, except brand images which get plain (optionally CDN) URLs."""

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_base_url": ""}

    def url(self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None) -> str:
        """A signed, expiring URL; a plain one for brand images."""
        if not clean_name(name).startswith(PUBLIC_PREFIXES):
            return super().url(name, parameters, expire, http_method)
        key = self._normalize_name(clean_name(name))
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/{filepath_to_uri(key)}"
        client = self.unsigned_connection.meta.client
        return client.generate_presigned_url("get_object", Params={"Bucket": self.bucket_name, "Key": key})
