"""Staff pages outside the admin: accepting an invitation, enrolling and verifying TOTP two-factor."""

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from shops.selectors import invitation_for_token
from shops.services import invitation_accept

ADMIN_LOGIN = reverse_lazy("admin:login")


class TokenForm(forms.Form):
    """One code from the staff member's authenticator app."""

    token = forms.CharField(label="Code from your authenticator app", max_length=8, min_length=6)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    response = render(request, template, {**admin.site.each_context(request), **context}, using="django")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password and join the shop through an invitation link (usable once, until it expires)."""
    invitation = invitation_for_token(raw_token=token)
    if invitation is None:
        return _page(request, "shops/invitation_invalid.html", {"title": "Invitation"})
    form = SetPasswordForm(user=None, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(raw_token=token, password=form.cleaned_data["new_password1"], request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(reverse("admin:index"))
    return _page(request, "shops/invitation_accept.html", {"title": "Join", "invitation": invitation, "form": form})


@never_cache
@login_required(login_url=ADMIN_LOGIN)
def two_factor_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: scan the QR code (drawn here, never by a third party), then confirm one code."""
    if user_has_device(request.user, confirmed=True):
        return HttpResponseRedirect(f"{reverse('shops:two_factor_verify')}?next={_next_url(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() or TOTPDevice.objects.create(
        user=request.user, name="Authenticator app", confirmed=False
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", "That code is not right; check the clock on your phone and try the next one.")
    qr_svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    return _page(
        request,
        "shops/two_factor_setup.html",
        {
            "title": "Set up two-factor authentication",
            "form": form,
            # Our own QR of our own otpauth:// URL: no user-controlled markup reaches it.
            "qr_svg": mark_safe(qr_svg),
            "secret": b32encode(device.bin_key).decode(),
            "next": _next_url(request),
        },
    )


@never_cache
@login_required(login_url=ADMIN_LOGIN)
def two_factor_verify_view(request: HttpRequest) -> HttpResponse:
    """Ask for the current TOTP code after the password; the device throttles repeated wrong codes."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return HttpResponseRedirect(f"{reverse('shops:two_factor_setup')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("token", "That code is not right, or too many tries: wait a moment and use a fresh code.")
    return _page(
        request,
        "shops/two_factor_verify.html",
        {"title": "Two-factor authentication", "form": form, "next": _next_url(request)},
    )
