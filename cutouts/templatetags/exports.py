"""The export forms other pages include: ticked library images, or a whole batch, to one ZIP."""

from typing import Any

from django import template

from cutouts.models import UploadBatch
from cutouts.studio import services as studio

register = template.Library()


@register.inclusion_tag("cutouts/partials/export_selection.html")
def export_selection_form() -> dict[str, Any]:
    return {"presets": studio.preset_list()}


@register.inclusion_tag("cutouts/partials/batch_export.html")
def batch_export_form(batch: UploadBatch) -> dict[str, Any]:
    return {"presets": studio.preset_list(), "batch": batch}
