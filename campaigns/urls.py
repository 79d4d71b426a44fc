"""URLs of the campaigns app: the signed click-tracking redirect."""

from django.urls import path

from campaigns.links import click_redirect

app_name = "campaigns"
urlpatterns = [
    path("r/<str:token>", click_redirect, name="click"),
]
