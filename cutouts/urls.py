from django.urls import include, path

from cutouts.views import accounts as accounts_views

accounts_patterns = [
    # Ours come first so they override Django's "login" and "password_reset".
    path("login/", accounts_views.SignInView.as_view(), name="login"),
    path(
        "password_reset/",
        accounts_views.SiteUrlPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("", include("django.contrib.auth.urls")),
    path("signup/", accounts_views.signup, name="signup"),
    path("invite/<str:token>/", accounts_views.invite_accept, name="invite_accept"),
    path("invites/", accounts_views.invite_list, name="invite_list"),
    path(
        "invites/<int:invite_id>/revoke/", accounts_views.invite_revoke, name="invite_revoke"
    ),
]

library_patterns: list = []

urlpatterns = [
    path("accounts/", include(accounts_patterns)),
    *library_patterns,
]
