"""He et al.'s guided filter with a grey guide, in its fast form.

Locally output = a·guide + b, with a and b fitted over a box window so the
output's edges follow the guide's. The coefficients are fitted on copies
reduced to `small_size` and scaled back up (He's "fast guided filter"): they
vary as slowly as the window is wide, so a large image costs about what the
reduced copy does. The offline model's refinement (cutouts.lib.matting) and
the edge-aware brush (cutouts.lib.strokes) both use it.
"""

import cv2
import numpy as np


def fast_guided_filter(
    guide: np.ndarray,
    source: np.ndarray,
    *,
    small_size: tuple[int, int],
    radius: int,
    eps: float,
) -> np.ndarray:
    """`source` filtered with `guide` (both float32, same shape, in [0, 1]).

    `small_size` (width, height) is where the coefficients are fitted, with a
    box window of `radius` there; `eps` keeps flat areas from being sharpened.
    """
    height, width = guide.shape
    small_guide = cv2.resize(guide, small_size, interpolation=cv2.INTER_AREA)
    small_source = cv2.resize(source, small_size, interpolation=cv2.INTER_AREA)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, (2 * radius + 1, 2 * radius + 1))

    mean_guide = mean(small_guide)
    mean_source = mean(small_source)
    variance = mean(small_guide * small_guide) - mean_guide * mean_guide
    covariance = mean(small_guide * small_source) - mean_guide * mean_source
    a = covariance / (variance + eps)
    b = mean_source - a * mean_guide
    mean_a = cv2.resize(mean(a), (width, height), interpolation=cv2.INTER_LINEAR)
    mean_b = cv2.resize(mean(b), (width, height), interpolation=cv2.INTER_LINEAR)
    return mean_a * guide + mean_b
