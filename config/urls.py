"""Root URLconf: each app owns its URLs."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Parcelfront"
admin.site.site_title = "Parcelfront admin"
admin.site.index_title = "Your shop"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/", include("shops.urls")),
    path("api/", include("api.urls")),
    path("", include("shipments.urls")),
    path("", include("integrations.urls")),
    path("", include("notifications.urls")),
    path("", include("campaigns.urls")),
    path("", include("returns.urls")),
    path("", include("feedback.urls")),
    path("", include("tracking_portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
