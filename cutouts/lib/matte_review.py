"""Is a matte doubtful? Cheap checks that flag a cutout a person should look at.

A matte usually comes out right, but a greyscale or rotated photo, glass or
white-on-white can leave almost nothing, almost everything, a subject
sliced by the frame, confetti, or fog. Each check below looks for one of
those on a small copy of the matte (a few milliseconds whatever its size)
and says what it saw in words a member understands. The thresholds were
measured with bench/needs_review.py on the shared evaluation set and
deliberately broken mattes; the README gives the counts.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

# Checked on a copy at most this long: the checks look at shapes, not edges.
REVIEW_SIDE = 512
OPAQUE = 128  # alpha at or above it is subject
# Less than this share of the picture kept: the subject was (mostly) lost.
SUBJECT_MIN = 0.02
# More than this kept: the background was (mostly) not removed.
SUBJECT_MAX = 0.95
# A side of the frame is "cutting" the subject when the subject covers more
# than this share of it; a product standing on the bottom edge touches one
# side, a close crop two, a subject sliced by the frame three or four.
SIDE_COVERED = 0.15
SIDES_CUT_MAX = 2
# Pieces smaller than this share of the subject are specks, not pieces.
PIECE_MIN_SHARE = 0.01
PIECES_MAX = 6
# Share of the matte's non-background pixels that are half-transparent.
SOFT_LOW, SOFT_HIGH = 32, 224
SOFT_MAX = 0.35
# The model run on a mirrored copy should find the same subject.
MIRROR_IOU_MIN = 0.8


@dataclass(frozen=True)
class MatteReview:
    subject: float  # share of the picture kept
    sides_cut: int  # sides of the frame the subject runs into
    pieces: int  # separate pieces of subject, specks left out
    soft: float  # share of the kept pixels that are half-transparent
    mirror_iou: float | None  # agreement with the mirrored run, when there was one
    reasons: tuple[str, ...]  # why it needs a look, in words; empty when it looks fine

    @property
    def needs_review(self) -> bool:
        return bool(self.reasons)


def review_matte(matte: Image.Image, *, mirrored: Image.Image | None = None) -> MatteReview:
    """Check `matte` (mode L); `mirrored`: the matte of the mirrored photo, mirrored back."""
    alpha = _small(matte)
    subject_mask = alpha >= OPAQUE
    subject = float(subject_mask.mean())
    sides = _sides_cut(subject_mask)
    pieces = _pieces(subject_mask)
    soft = _soft_share(alpha)
    mirror_iou = _iou(subject_mask, _small(mirrored) >= OPAQUE) if mirrored else None

    reasons = []
    if subject < SUBJECT_MIN:
        reasons.append(f"Almost no subject: only {subject:.1%} of the picture was kept.")
    elif subject > SUBJECT_MAX:
        reasons.append(f"Almost no background removed: {subject:.0%} of the picture was kept.")
    if sides > SIDES_CUT_MAX:
        reasons.append(f"The subject runs into the frame on {sides} sides: it may be cut off.")
    if pieces > PIECES_MAX:
        reasons.append(f"The cutout is in {pieces} separate pieces.")
    if soft > SOFT_MAX and subject >= SUBJECT_MIN:  # a lost subject's haze says nothing more
        reasons.append(f"Much of the cutout is half-transparent ({soft:.0%}).")
    if mirror_iou is not None and mirror_iou < MIRROR_IOU_MIN:
        reasons.append(
            f"The model found a different subject in the mirrored photo "
            f"(only {mirror_iou:.0%} in common)."
        )
    return MatteReview(
        subject=subject,
        sides_cut=sides,
        pieces=pieces,
        soft=soft,
        mirror_iou=mirror_iou,
        reasons=tuple(reasons),
    )


def _small(matte: Image.Image) -> np.ndarray:
    matte = matte.convert("L")
    if max(matte.size) > REVIEW_SIDE:
        matte = matte.copy()
        # Nearest keeps the matte's own values: a smoothing filter would turn
        # every hard edge into a band of half-transparent pixels.
        matte.thumbnail((REVIEW_SIDE, REVIEW_SIDE), Image.Resampling.NEAREST, reducing_gap=None)
    return np.asarray(matte)


def _sides_cut(subject: np.ndarray) -> int:
    edges = (subject[0, :], subject[-1, :], subject[:, 0], subject[:, -1])
    return sum(1 for edge in edges if edge.mean() > SIDE_COVERED)


def _pieces(subject: np.ndarray) -> int:
    total = int(subject.sum())
    if total == 0:
        return 0
    count, _, stats, _ = cv2.connectedComponentsWithStats(subject.astype(np.uint8), connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA]
    return int((areas >= PIECE_MIN_SHARE * total).sum())


def _soft_share(alpha: np.ndarray) -> float:
    kept = alpha >= SOFT_LOW
    if not kept.any():
        return 0.0
    return float((kept & (alpha <= SOFT_HIGH)).sum() / kept.sum())


def _iou(first: np.ndarray, second: np.ndarray) -> float:
    union = (first | second).sum()
    return float((first & second).sum() / union) if union else 1.0
