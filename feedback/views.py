"""The customer's feedback page behind a score link: GET shows it, POST records.

GET ``/f/<token>?score=N`` only renders the branded page with N pre-filled, so a mail scanner that
prefetches every link in the delivered email casts no vote. The vote is the POST the page's script
makes once the page is shown, or the plain "Save my score" button without JavaScript; the same POST
takes the follow-up answers, the comment and the carrier ratings, each saved as given. The signed token
in the URL authorises the POST (as on the tracking page), so it needs no CSRF cookie.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from carriers.registry import UnknownCarrier, adapter_class
from feedback.models import SCALE_RANGES, FeedbackResponse, Segment
from feedback.questions import QUESTIONS
from feedback.selectors import feedback_settings_for, order_for_feedback_token, response_of
from feedback.services import (
    FeedbackClosed,
    FollowUp,
    delivered_outbound,
    feedback_open,
    response_follow_up_save,
    response_score_record,
)
from shipments.models import Order
from shops.client_ip import client_rate_key
from shops.languages import SUPPORTED_LANGUAGES, language_or_default
from shops.lookup_guard import attempt_allowed
from shops.models import FeedbackScale, Shop
from shops.public_pages import content_security_policy, language_links, portal_headers, style_hash, theme_for

MAX_FIELD = 4000


def _language(request: HttpRequest, order: Order | None) -> str:
    requested = request.POST.get("lang", "") or request.GET.get("lang", "")
    if requested in SUPPORTED_LANGUAGES:
        return requested
    return language_or_default(order.effective_locale if order is not None else "en")


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 3 else None


def _render(
    request: HttpRequest, template: str, *, shop: Shop | None, language: str, status: int = 200, **context: object
) -> HttpResponse:
    css = theme_for(shop or Shop()).css
    with translation.override(language):
        html = render_to_string(
            template,
            {
                "shop": shop,
                "language": language,
                "theme_css": css,
                "languages": language_links(language),
                "carrier_name": carrier_name,
                **context,
            },
        )
    response = HttpResponse(html, status=status)
    response["Content-Language"] = language
    return portal_headers(response, csp=content_security_policy(style_sources=style_hash(css)))


def carrier_name(code: str) -> str:
    """The carrier's display name; an unknown code shows as the code."""
    try:
        return adapter_class(code).name
    except UnknownCarrier:
        return code.upper()


def _message(request: HttpRequest, *, shop: Shop | None, language: str, status: int, title: str, body: str):
    return _render(
        request, "feedback/message.html", shop=shop, language=language, status=status, title=title, body=body
    )


def _not_found(request: HttpRequest, order: Order | None = None) -> HttpResponse:
    language = _language(request, order)
    with translation.override(language):
        title, body = gettext("We could not find this page"), gettext("This link is not valid any more.")
    return _message(request, shop=order.shop if order else None, language=language, status=404, title=title, body=body)


def _closed(request: HttpRequest, order: Order, language: str) -> HttpResponse:
    with translation.override(language):
        title = gettext("Thank you for your interest")
        body = gettext("This survey is closed. Scores can be given after delivery and changed for 30 days.")
    return _message(request, shop=order.shop, language=language, status=410, title=title, body=body)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, token: str) -> HttpResponse:
    """The feedback page of one order (GET), or a vote / answers from it (POST)."""
    order = order_for_feedback_token(token=token)
    portal_shop_id = getattr(request, "portal_shop_id", None)
    if order is None or (portal_shop_id is not None and portal_shop_id != order.shop_id):
        return _not_found(request)
    language = _language(request, order)
    if request.method == "POST":
        return _record(request, order=order, token=token, language=language)
    response = response_of(order)
    if not feedback_open(order=order, response=response, now=timezone.now()):
        return _closed(request, order, language)
    return _feedback_page(request, order=order, response=response, language=language)


def _feedback_page(
    request: HttpRequest, *, order: Order, response: FeedbackResponse | None, language: str, error: str = ""
) -> HttpResponse:
    scale = response.scale if response is not None else order.shop.feedback_scale
    low, high = SCALE_RANGES[scale]
    asked = _int(request.GET.get("score"))
    asked = asked if asked is not None and low <= asked <= high else None
    conf = feedback_settings_for(shop_id=order.shop_id)
    answers = {answer.question: answer.thumbs_up for answer in response.answers.all()} if response else {}
    parcels = delivered_outbound(order)
    ratings = {parcel.pk: getattr(parcel, "carrier_rating", None) for parcel in parcels}
    return _render(
        request,
        "feedback/page.html",
        shop=order.shop,
        language=language,
        status=400 if error else 200,
        order=order,
        action=f"{request.path}?lang={language}",
        scale=scale,
        is_nps=scale == FeedbackScale.NPS,
        scores=range(low, high + 1),
        prefill=asked if asked is not None else (response.score if response else None),
        record_on_show=asked is not None,
        saved=response is not None and request.GET.get("saved") == "1",
        response=response,
        questions=[(code, QUESTIONS[code], answers.get(code)) for code in conf.questions if code in QUESTIONS],
        parcels=[
            (index, parcel, ratings[parcel.pk].score if ratings[parcel.pk] else None)
            for index, parcel in enumerate(parcels, start=1)
        ],
        review_url=conf.review_url,
        promoter=response is not None and response.segment == Segment.PROMOTER,
        error=error,
    )


def _rate_limited(request: HttpRequest, token: str) -> bool:
    window = settings.FEEDBACK_RATE_WINDOW_SECONDS
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    per_order = attempt_allowed(key=f"fb:post:{digest}", limit=settings.FEEDBACK_POSTS_PER_ORDER, window=window)
    per_client = attempt_allowed(
        key=f"fb:client:{client_rate_key(request)}", limit=settings.FEEDBACK_POSTS_PER_CLIENT, window=window
    )
    return not (per_order and per_client)


def _follow_up(request: HttpRequest, order: Order) -> FollowUp:
    """What the POST carries beyond the score; malformed values raise ``ValidationError``."""
    answers: dict[str, bool] = {}
    scores: dict[int, int] = {}
    parcels = delivered_outbound(order)
    for name, value in request.POST.items():
        if name.startswith("q_"):
            if value not in ("up", "down"):
                raise ValidationError({"answers": "Answer with up or down."}, code="invalid_answer")
            answers[name[2:]] = value == "up"
        elif name.startswith("carrier_"):
            index, score = _int(name.removeprefix("carrier_")), _int(value)
            if index is None or not 1 <= index <= len(parcels) or score is None:
                raise ValidationError({"carrier": "Rate the carrier from 1 to 5."}, code="invalid_carrier_score")
            scores[parcels[index - 1].pk] = score
    comment = request.POST.get("comment")
    return FollowUp(
        comment=comment[:MAX_FIELD] if comment is not None else None, answers=answers, carrier_scores=scores
    )


def _record(request: HttpRequest, *, order: Order, token: str, language: str) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if _rate_limited(request, token):
        with translation.override(language):
            title = gettext("Too many attempts")
            body = gettext("Please wait a few minutes and try again.")
        if wants_json:
            return JsonResponse({"error": "rate_limited"}, status=429)
        return _message(request, shop=order.shop, language=language, status=429, title=title, body=body)
    response = response_of(order)
    try:
        follow_up = _follow_up(request, order)
        # One request, one outcome: a bad answer next to a good score stores neither.
        with transaction.atomic():
            if "score" in request.POST:
                score = _int(request.POST["score"])
                response = response_score_record(order=order, score=-1 if score is None else score, language=language)
            if response is None:
                raise ValidationError({"score": "Choose a score first."}, code="score_first")
            response_follow_up_save(response=response, follow_up=follow_up)
    except FeedbackClosed:
        if wants_json:
            return JsonResponse({"error": "closed"}, status=410)
        return _closed(request, order, language)
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"error": "invalid", "fields": error.message_dict}, status=400)
        with translation.override(language):
            message = (
                gettext("Please choose one of the scores shown.")
                if "score" in error.message_dict
                else gettext("Some answers could not be saved. Please try again.")
            )
        stored = FeedbackResponse.objects.filter(order=order).first()  # the rolled-back score is not the customer's
        return _feedback_page(request, order=order, response=stored, language=language, error=message)
    if wants_json:
        return JsonResponse({"saved": True, "score": response.score, "promoter": response.segment == Segment.PROMOTER})
    target = reverse("feedback:page", args=[token])
    return HttpResponseRedirect(f"{target}?lang={language}&saved=1#thanks", status=303)
