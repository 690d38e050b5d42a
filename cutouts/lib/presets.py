"""The built-in presets every member can render with, and the one each cutout is made with.

Team presets are rows (cutouts.models.Preset) an admin adds; these live in
code and cannot be changed or deleted.
"""

from dataclasses import dataclass

from cutouts.lib.marketplace import MarketplaceRules
from cutouts.lib.render_spec import ColorBackground, Framing, Output, RenderSpec


@dataclass(frozen=True)
class BuiltinPreset:
    slug: str
    name: str
    spec: RenderSpec
    # An export with it checks every file against these (cutouts.lib.marketplace).
    rules: MarketplaceRules | None = None


# The preset of the cutout every processed image gets (full size, transparent PNG).
CUTOUT_PRESET = "transparent-png"

BUILTIN_PRESETS: dict[str, BuiltinPreset] = {
    preset.slug: preset
    for preset in (
        BuiltinPreset(
            "amazon-main",
            "Amazon main image",
            # Amazon's rules: pure white (255, 255, 255), the product filling 85 %
            # of the frame, JPEG; 2000 px squares enable zoom.
            RenderSpec(
                background=ColorBackground(type="color", color="#ffffff"),
                framing=Framing(crop="subject", canvas=(2000, 2000), fill=0.85),
                output=Output(format="JPEG", quality=90),
            ),
            MarketplaceRules(
                marketplace="Amazon",
                pure_white=True,
                fill=(0.85, 1.0),
                min_side=1000,  # zoom needs 1000 px
                formats=("JPEG", "PNG", "TIFF", "GIF"),
                clear_of_edges=True,
            ),
        ),
        BuiltinPreset(
            "shopify-square",
            "Shopify square",
            RenderSpec(
                background=ColorBackground(type="color", color="#ffffff"),
                framing=Framing(crop="subject", canvas=(2048, 2048), fill=0.9),
                output=Output(format="JPEG", quality=90),
            ),
            MarketplaceRules(
                marketplace="Shopify",
                pure_white=False,
                fill=(0.8, 1.0),
                min_side=800,  # zoom needs 800 px
                formats=("JPEG", "PNG", "WEBP", "GIF"),
                clear_of_edges=False,
            ),
        ),
        BuiltinPreset(
            CUTOUT_PRESET,
            "Transparent PNG (full size)",
            RenderSpec(output=Output(format="PNG")),
        ),
        BuiltinPreset(
            "webp-web",
            "WebP for the web",
            RenderSpec(output=Output(format="WEBP", quality=85, max_side=1600)),
        ),
    )
}
