"""Made-up photos with exact mattes for compositor tests: I = a·F + (1−a)·B, known parts."""

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from cutouts.lib import compositor
from cutouts.lib.render_spec import RenderSpec, parse_spec


@dataclass(frozen=True)
class Scene:
    original: Image.Image
    matte: Image.Image
    foreground: np.ndarray  # RGB float32, 0–255
    alpha: np.ndarray  # float32, 0–1


def disc_alpha(size: tuple[int, int], radius: float, softness: float = 0.0) -> np.ndarray:
    """A disc in the middle of `size`; its edge blurred with Gaussian σ `softness`."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    hard = ((xs - width / 2 + 0.5) ** 2 + (ys - height / 2 + 0.5) ** 2 < radius**2).astype(
        np.float32
    )
    return cv2.GaussianBlur(hard, (0, 0), softness) if softness else hard


def rect_alpha(size: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    alpha = np.zeros((size[1], size[0]), np.float32)
    x0, y0, x1, y1 = box
    alpha[y0:y1, x0:x1] = 1
    return alpha


def textured_foreground(size: tuple[int, int]) -> np.ndarray:
    """Orange-to-purple stripes: a subject whose colour changes along its edge."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack(
        (200 + 45 * np.sin(xs / 6), 110 + 50 * np.cos(ys / 5), 60 + 40 * np.sin((xs + ys) / 9)),
        axis=-1,
    ).astype(np.float32)


def scene(
    alpha: np.ndarray,
    foreground: np.ndarray | tuple[int, int, int] = (200, 40, 40),
    background: np.ndarray | tuple[int, int, int] = (0, 200, 0),
) -> Scene:
    height, width = alpha.shape
    fg = np.broadcast_to(np.asarray(foreground, np.float32), (height, width, 3))
    bg = np.broadcast_to(np.asarray(background, np.float32), (height, width, 3))
    a = alpha[..., np.newaxis]
    photo = np.clip(np.round(a * fg + (1 - a) * bg), 0, 255).astype(np.uint8)
    matte = np.clip(np.round(alpha * 255), 0, 255).astype(np.uint8)
    return Scene(Image.fromarray(photo), Image.fromarray(matte), fg, alpha)


def render(
    scene: Scene, spec: dict | RenderSpec, **kwargs
) -> tuple[compositor.Rendered, np.ndarray]:
    """Render `spec` (completed with defaults) and decode the file it made."""
    rendered = compositor.render(scene.original, scene.matte, parse_spec(spec), **kwargs)
    return rendered, decoded(rendered.data)


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGBA" if "A" in picture.getbands() else "RGB"))


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (exclusive) of the True pixels."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1
