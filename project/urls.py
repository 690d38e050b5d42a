from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # django-rq's dashboard; its views check for staff themselves (staff_member_required).
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    # The team API, withoutbg-compatible; authenticated by token, not session.
    path("api/", include("cutouts.teamapi.urls")),
    path("", include("cutouts.urls")),
]
