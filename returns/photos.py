"""Customer photos of returned items: only real JPEG/PNG/WebP images under the size limit, re-encoded without EXIF."""

from __future__ import annotations

import io
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# What the browser says is irrelevant: the decoded format decides, and the output keeps it.
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def return_photo_clean(*, upload: UploadedFile) -> ContentFile:
    """The upload re-encoded from its pixels (no EXIF, GPS or other metadata survives), or a clear error."""
    if upload.size > settings.RETURN_PHOTO_MAX_BYTES:
        limit = settings.RETURN_PHOTO_MAX_BYTES // (1024 * 1024)
        raise ValidationError(_("The photo is too big: at most %(limit)s MB.") % {"limit": limit}, code="too_big")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format or ""
            if image_format not in ALLOWED_FORMATS:
                raise ValidationError(_("Send a JPEG, PNG or WebP photo."), code="bad_type")
            # Turn the pixels upright first: the orientation lives in the EXIF about to be dropped.
            upright = ImageOps.exif_transpose(image).convert("RGB" if image_format == "JPEG" else "RGBA")
            # A fresh image carries no info dict at all: pixels only.
            clean = Image.new(upright.mode, upright.size)
            clean.paste(upright)
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValidationError(_("Send a JPEG, PNG or WebP photo."), code="bad_type") from error
    buffer = io.BytesIO()
    clean.save(buffer, format=image_format)
    return ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(16)}.{ALLOWED_FORMATS[image_format]}")
