"""Marketplace rules, and checking a finished render file against them.

A marketplace refuses a main image that breaks its rules, and finds out
only after upload. So an export with a marketplace preset checks each file
as it will be sent: decoded from its own bytes (a JPEG's background is
judged after compression), for a pure white background, how much of the
frame the product fills, the size, the format, and whether the product
touches the frame's edge.
"""

from dataclasses import dataclass

import cv2
import numpy as np

# A pixel darker than this in any channel is product, not background.
PRODUCT_BELOW = 250
# The frame's edge: this many pixels all round.
EDGE_PX = 2
# Measured fill may fall this short of the rule: anti-aliased edges lighten.
FILL_SLACK = 0.02
# A JPEG rings for up to a block (8 px) around the product: that band is the
# product's edge, not background that ought to be pure white.
EDGE_BAND_PX = 8


@dataclass(frozen=True)
class MarketplaceRules:
    marketplace: str
    pure_white: bool  # the background must be exactly (255, 255, 255)
    fill: tuple[float, float]  # the product box's larger share of the frame, at least/at most
    min_side: int  # pixels, the shorter side
    formats: tuple[str, ...]
    clear_of_edges: bool  # the product may not touch the frame


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def check_file(data: bytes, *, file_format: str, rules: MarketplaceRules) -> list[Check]:
    """Each of `rules` judged on the encoded render `data`; unreadable data fails them all."""
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        return [Check("readable", False, "The file could not be read back.")]
    height, width = pixels.shape[:2]
    product = (pixels < PRODUCT_BELOW).any(axis=2)
    checks = [
        _size(width, height, rules),
        Check(
            "format",
            file_format in rules.formats,
            f"{file_format}"
            + ("" if file_format in rules.formats else f" ({', '.join(rules.formats)} needed)"),
        ),
        _fill(product, rules),
    ]
    if rules.pure_white:
        checks.append(_pure_white(pixels, product))
    if rules.clear_of_edges:
        checks.append(_clear_of_edges(product))
    return checks


def _size(width: int, height: int, rules: MarketplaceRules) -> Check:
    passed = bool(min(width, height) >= rules.min_side)
    detail = f"{width} × {height} px"
    if not passed:
        detail += f" (at least {rules.min_side} px a side)"
    return Check("size", passed, detail)


def _fill(product: np.ndarray, rules: MarketplaceRules) -> Check:
    low, high = rules.fill
    ys, xs = np.nonzero(product)
    if not len(xs):
        return Check("fill", False, "No product found in the frame.")
    height, width = product.shape
    fill = max((xs.max() - xs.min() + 1) / width, (ys.max() - ys.min() + 1) / height)
    passed = bool(low - FILL_SLACK <= fill <= high)
    wanted = f"at least {low:.0%}" if high >= 1 else f"{low:.0%} to {high:.0%}"
    return Check("fill", passed, f"The product fills {fill:.0%} of the frame ({wanted}).")


def _pure_white(pixels: np.ndarray, product: np.ndarray) -> Check:
    band = np.ones((2 * EDGE_BAND_PX + 1,) * 2, np.uint8)
    background = cv2.dilate(product.astype(np.uint8), band) == 0
    if not background.any():
        return Check("white background", False, "No background left in the frame.")
    exact = (pixels == 255).all(axis=2) & background
    share = exact.sum() / background.sum()
    passed = bool(share >= 0.99)
    return Check(
        "white background",
        passed,
        "Pure white (255, 255, 255)."
        if passed
        else f"Only {share:.0%} of the background is pure white (255, 255, 255).",
    )


def _clear_of_edges(product: np.ndarray) -> Check:
    edges = np.concatenate(
        [
            product[:EDGE_PX].ravel(),
            product[-EDGE_PX:].ravel(),
            product[:, :EDGE_PX].ravel(),
            product[:, -EDGE_PX:].ravel(),
        ]
    )
    passed = not bool(edges.any())
    return Check(
        "clear of edges",
        passed,
        "The product does not touch the frame."
        if passed
        else "The product touches the frame's edge: it may look cut off.",
    )
