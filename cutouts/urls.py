from django.urls import include, path

from cutouts.accounts import views as accounts_views
from cutouts.dashboard import views as dashboard_views
from cutouts.library.views import batches as batch_views
from cutouts.library.views import images as library_views
from cutouts.library.views import media as media_views
from cutouts.library.views import retry as retry_views
from cutouts.library.views import review as review_views
from cutouts.library.views import status as status_views
from cutouts.library.views import upload as upload_views
from cutouts.studio import views as studio_views
from cutouts.teamapi.views import tokens as token_views
from cutouts.teamapi.views import webhooks as webhook_views

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
    path("invites/<int:invite_id>/revoke/", accounts_views.invite_revoke, name="invite_revoke"),
    path("tokens/", token_views.token_list, name="token_list"),
    path("tokens/all/", token_views.token_list_all, name="token_list_all"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path(
        "tokens/<int:pk>/webhook-secret/",
        token_views.token_webhook_secret,
        name="token_webhook_secret",
    ),
    path("webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path(
        "webhooks/<int:pk>/send-again/",
        webhook_views.webhook_send_again,
        name="webhook_send_again",
    ),
]

library_patterns = [
    path("", library_views.library, name="library"),
    path("upload/", upload_views.upload, name="upload"),
    path("upload/batch/", upload_views.upload_batch, name="upload_batch"),
    path("upload/estimate/", upload_views.upload_estimate, name="upload_estimate"),
    path("images/<int:pk>/", library_views.image_detail, name="image_detail"),
    path("images/<int:pk>/original/", media_views.image_original, name="image_original"),
    path("images/<int:pk>/thumbnail/", media_views.image_thumbnail, name="image_thumbnail"),
    path("images/<int:pk>/preview/", media_views.image_preview, name="image_preview"),
    path(
        "images/<int:pk>/cutout-thumbnail/",
        media_views.image_cutout_thumbnail,
        name="image_cutout_thumbnail",
    ),
    path("images/<int:pk>/matte/", media_views.image_matte, name="image_matte"),
    path("images/<int:pk>/retry/", retry_views.image_retry, name="image_retry"),
    path("images/<int:pk>/reviewed/", review_views.image_reviewed, name="image_reviewed"),
    path("images/status/", status_views.image_status_list, name="image_status_list"),
    path("images/retry-failed/", retry_views.images_retry_failed, name="images_retry_failed"),
    path("renders/<int:pk>/download/", media_views.render_download, name="render_download"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
]

studio_patterns = [
    path("images/<int:pk>/studio/", studio_views.studio_page, name="studio"),
    path("images/<int:pk>/studio/original/", studio_views.studio_original, name="studio_original"),
    path("images/<int:pk>/studio/matte/", studio_views.studio_matte, name="studio_matte"),
    path("images/<int:pk>/renders/", studio_views.image_renders, name="image_renders"),
    path("images/<int:pk>/touch-up/", studio_views.touchup_page, name="touchup"),
    path("images/<int:pk>/touch-up/save/", studio_views.touchup_save, name="touchup_save"),
    path(
        "images/<int:pk>/versions/<int:version_id>/revert/",
        studio_views.matte_version_revert,
        name="matte_version_revert",
    ),
    path("renders/<int:pk>/again/", studio_views.render_again, name="render_again"),
    path("backdrops/", studio_views.backdrop_upload, name="backdrop_upload"),
    path("backdrops/<int:pk>/", studio_views.backdrop_picture, name="backdrop_picture"),
    path("exports/", studio_views.export_start, name="export_start"),
    path("exports/<int:pk>/", studio_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/status/", studio_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", studio_views.export_download, name="export_download"),
    path("presets/", studio_views.preset_list, name="preset_list"),
    path("presets/<slug:slug>/delete/", studio_views.preset_delete, name="preset_delete"),
]

dashboard_patterns = [
    path("", dashboard_views.dashboard_page, name="dashboard"),
    path(
        "refresh-credits/",
        dashboard_views.dashboard_refresh_credits,
        name="dashboard_refresh_credits",
    ),
    path("budgets/", dashboard_views.dashboard_budgets, name="dashboard_budgets"),
    path(
        "budgets/<int:user_id>/",
        dashboard_views.dashboard_member_budget,
        name="dashboard_member_budget",
    ),
]

urlpatterns = [
    path("accounts/", include(accounts_patterns)),
    path("dashboard/", include(dashboard_patterns)),
    *library_patterns,
    *studio_patterns,
]
