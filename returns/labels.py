"""The "label" return method: the shop uploads the return label PDF (or pastes the carrier's https link).

Uploads are checked by content (``%PDF-`` magic bytes) and size, stored under a random name through the default
storage, and served to the customer only through the return's token page (``returns.views.label``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from returns.lifecycle import TransitionError, return_transition
from returns.models import ReturnMethod, ReturnRequest, ReturnState

PDF_MAGIC = b"%PDF-"
LABEL_URL_MAX_LENGTH = 500


def return_label_clean(*, upload: UploadedFile) -> ContentFile:
    """The upload as a PDF under a random name, or a clear error (too big, not a PDF); nothing is stored."""
    limit = settings.RETURN_LABEL_MAX_BYTES
    too_big = ValidationError(f"The label is too big: at most {filesizeformat(limit)}.", code="too_big")
    if upload.size is None or upload.size > limit:
        raise too_big
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_big
    if not content.startswith(PDF_MAGIC):
        raise ValidationError("The label must be a PDF file.", code="not_pdf")
    return ContentFile(content, name=f"{secrets.token_hex(16)}.pdf")


def return_label_url_clean(*, url: str) -> str:
    """A carrier's label link: an https URL only, or a clear error."""
    url = url.strip()
    if len(url) > LABEL_URL_MAX_LENGTH:
        raise ValidationError(f"The label link is too long: at most {LABEL_URL_MAX_LENGTH} characters.", code="long")
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError as error:
        raise ValidationError("The label link must be an https:// address.", code="not_https") from error
    return url


def return_label_issuable(*, return_request: ReturnRequest) -> None:
    """Refuse a label for a return that is not an approved one with the label method."""
    if return_request.method != ReturnMethod.LABEL:
        raise TransitionError("Only a return with the label method gets a label.")
    if return_request.state != ReturnState.APPROVED:
        raise TransitionError(f"A return that is {return_request.state} cannot get a label; approve it first.")


def return_label_issue(
    *,
    return_request: ReturnRequest,
    upload: UploadedFile | None = None,
    url: str = "",
    now: datetime | None = None,
) -> ReturnRequest:
    """Store the label (a PDF upload or a carrier's https link) and move the approved return to label issued.

    Everything is checked before anything is stored; a file saved for a transition that then fails is removed.
    """
    if (upload is None) == (not url.strip()):
        raise ValidationError("Upload the label PDF or paste the carrier's label link (one of them).", code="one")
    pdf = return_label_clean(upload=upload) if upload is not None else None
    link = "" if pdf is not None else return_label_url_clean(url=url)
    with transaction.atomic():
        locked = ReturnRequest.objects.select_for_update().get(pk=return_request.pk)
        return_label_issuable(return_request=locked)
        stored = ""
        if pdf is not None:
            locked.label_file.save(pdf.name, pdf, save=False)
            stored = locked.label_file.name
        try:
            locked.label_url = link
            locked.save(update_fields=["label_file", "label_url", "updated_at"])
            return return_transition(
                return_request=locked,
                to_state=ReturnState.LABEL_ISSUED,
                note="Label uploaded" if stored else "Carrier label link",
                now=now,
            )
        except Exception:
            if stored:
                locked.label_file.storage.delete(stored)
            raise
