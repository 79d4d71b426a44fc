"""The admin app with Parcelfront's site (dashboard home, navigation by task) as ``admin.site``."""

from django.contrib.admin.apps import AdminConfig


class ParcelfrontAdminConfig(AdminConfig):
    default_site = "analytics.admin_site.ParcelfrontAdminSite"
