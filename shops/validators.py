"""Validation of what shop owners type and upload: colours, images, time zones, domains."""

import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from PIL import Image, UnidentifiedImageError

HEX_COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")

validate_hex_colour = RegexValidator(
    HEX_COLOUR_RE, message="Enter a colour as #RRGGBB, for example #1A73E8.", code="invalid_colour"
)

# Raster formats only: an SVG can carry script, so logos are refused rather than sanitized.
ALLOWED_IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096


def validate_brand_image(upload: UploadedFile) -> None:
    """Accept PNG, JPEG, WebP or GIF up to 1 MiB and 4096x4096; refuse SVG and anything else."""
    if upload.size is not None and upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            "The image is %(size)d KB; the limit is 1024 KB.",
            code="image_too_large",
            params={"size": upload.size // 1024},
        )
    name = (getattr(upload, "name", "") or "").lower()
    if name.endswith((".svg", ".svgz")):
        raise ValidationError("SVG images are not accepted; upload a PNG, JPEG, WebP or GIF.", code="svg_refused")
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError("This file is not a PNG, JPEG, WebP or GIF image.", code="invalid_image") from error
    finally:
        if hasattr(upload, "seek"):
            upload.seek(position)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            "%(format)s images are not accepted; upload a PNG, JPEG, WebP or GIF.",
            code="invalid_image_format",
            params={"format": image_format or "Unknown"},
        )
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            "The image is %(w)dx%(h)d pixels; the limit is 4096x4096.",
            code="image_too_big",
            params={"w": width, "h": height},
        )


def validate_timezone(value: str) -> None:
    """Only IANA zone names (Europe/Warsaw), so dates render in the customer's local time."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError("%(value)s is not a known time zone, e.g. Europe/Warsaw.", params={"value": value})


validate_domain = RegexValidator(
    r"^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$",
    message="Enter a host name such as track.example.com (lower case, no scheme, no path).",
    code="invalid_domain",
)
