"""Staff pages outside the admin: invitations and two-factor enrolment and verification."""

from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("2fa/setup/", views.two_factor_setup_view, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify_view, name="two_factor_verify"),
]
