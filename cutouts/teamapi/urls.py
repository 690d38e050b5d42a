"""Everything under /api/: the withoutbg-compatible API, Cutouts' own, and their documentation.

Paths have no trailing slash, like the vendor's; any other path under /api/
is a JSON 404, never an HTML page.
"""

from django.urls import path, re_path

from cutouts.lib.withoutbg import contract
from cutouts.teamapi.views import api, api_v1
from cutouts.teamapi.views import docs as api_docs


def _vendor(vendor_path: str) -> str:
    # Django's patterns have no leading slash; the vendor's paths do.
    return vendor_path.removeprefix("/")


urlpatterns = [
    # The vendor's paths, under /api/.
    path(_vendor(contract.ALPHA_BASE64), api.alpha_channel_base64, name="api_alpha_base64"),
    path(
        _vendor(contract.CUTOUT_BASE64),
        api.image_without_background_base64,
        name="api_cutout_base64",
    ),
    path(_vendor(contract.ALPHA), api.alpha_channel, name="api_alpha"),
    path(_vendor(contract.CUTOUT), api.image_without_background, name="api_cutout"),
    path(_vendor(contract.CREDIT), api.available_credit, name="api_available_credit"),
    path("cutouts/v1/images", api_v1.image_list, name="api_images"),
    path("cutouts/v1/images/<int:pk>", api_v1.image_detail, name="api_image"),
    path("cutouts/v1/images/<int:pk>/original", api_v1.image_original, name="api_image_original"),
    path("cutouts/v1/images/<int:pk>/matte", api_v1.image_matte, name="api_image_matte"),
    path("cutouts/v1/images/<int:pk>/renders", api_v1.render_create, name="api_render_create"),
    path("cutouts/v1/renders/<int:pk>", api_v1.render_detail, name="api_render"),
    path("cutouts/v1/renders/<int:pk>/file", api_v1.render_file, name="api_render_file"),
    path("cutouts/v1/presets", api_v1.preset_list, name="api_presets"),
    path("cutouts/v1/me", api_v1.me, name="api_me"),
    path("openapi.json", api_docs.openapi_json, name="api_openapi"),
    path("docs/", api_docs.api_docs, name="api_docs"),
    re_path(r"^.*$", api.not_found),
]
