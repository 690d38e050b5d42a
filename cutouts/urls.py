from django.urls import include, path

accounts_patterns = [
    path("", include("django.contrib.auth.urls")),
]

library_patterns: list = []

urlpatterns = [
    path("accounts/", include(accounts_patterns)),
    *library_patterns,
]
