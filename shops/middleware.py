"""Keeps staff who must use two-factor out of the admin until they have verified a TOTP code this session."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import user_has_device

from shops.two_factor import two_factor_required


class StaffTwoFactorMiddleware:
    """Redirects an unverified staff member from any admin page to enrolment (no device yet) or verification."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_root = reverse("admin:index")
        open_paths = (reverse("admin:login"), reverse("admin:logout"))
        if (
            request.path.startswith(admin_root)
            and request.path not in open_paths
            and not request.user.is_verified()
            and two_factor_required(user=request.user)
        ):
            step = "shops:two_factor_verify" if user_has_device(request.user) else "shops:two_factor_setup"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
