"""How well "needs review" tells doubtful mattes from good ones, on a labelled set.

Run from the repository root: .venv/bin/python -m bench.needs_review

The set is made from the shared evaluation set (NAME.png with its true
NAME_alpha.png):
- the true alpha itself;
- the offline model's matte of the photo, of a greyscale copy and of a copy
  turned a quarter, each with the model's matte of the mirrored copy for the
  mirror check (these are the engine's real successes and failures);
- the true alpha deliberately broken: nearly empty (a speck kept), the
  background kept, the subject cut off by the frame, scattered into pieces,
  and blurred into fog.

Every matte is labelled by what it is, not by the checks: bad when its IoU
with the true alpha (at 0.5) is under BAD_IOU or its mean error over
BAD_MAE. The report lists each case, then the true and false flags, the
precision and the recall, and the time one review takes at 12 megapixels.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from bench.matte_quality import eval_pairs, eval_parser
from cutouts.lib.matte_review import MatteReview, review_matte
from cutouts.lib.matting import U2NetMatting

BAD_IOU = 0.75
BAD_MAE = 0.12


@dataclass(frozen=True)
class Case:
    name: str
    iou: float
    mae: float
    review: MatteReview

    @property
    def bad(self) -> bool:
        return self.iou < BAD_IOU or self.mae > BAD_MAE


def quality(matte: Image.Image, truth: np.ndarray) -> tuple[float, float]:
    alpha = np.asarray(matte.convert("L"), dtype=np.float32) / 255
    subject, true_subject = alpha >= 0.5, truth >= 0.5
    union = (subject | true_subject).sum()
    iou = float((subject & true_subject).sum() / union) if union else 1.0
    return iou, float(np.abs(alpha - truth).mean())


def broken(truth: Image.Image) -> dict[str, Image.Image]:
    """The true alpha spoiled in each way a matte can go wrong."""
    alpha = np.asarray(truth, dtype=np.uint8)
    height, width = alpha.shape
    subject = (alpha >= 128).astype(np.uint8)
    # A speck of the subject kept, half a percent of the picture, around its
    # most inward point: the cat's eyes without the cat.
    inward = cv2.distanceTransform(subject, cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(inward.argmax()), inward.shape)
    disc = np.zeros_like(alpha)
    cv2.circle(disc, (int(x), int(y)), int((0.005 * width * height / np.pi) ** 0.5), 255, -1)
    speck = np.minimum(alpha, disc)
    # A frame that slices the subject: the middle of its bounding box, scaled up.
    ys, xs = np.nonzero(subject)
    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    inset_y, inset_x = (bottom - top) // 8, (right - left) // 8
    inner = alpha[top + inset_y : bottom - inset_y, left + inset_x : right - inset_x]
    cut_off = cv2.resize(inner, (width, height), interpolation=cv2.INTER_LINEAR)
    # Blocks of the subject kept with gaps between them, as confetti.
    rows, columns = np.indices(alpha.shape)
    blocks = (rows // 32 % 2 == 0) & (columns // 32 % 2 == 0)
    scattered = np.where(blocks, alpha, 0).astype(np.uint8)
    return {
        "nearly-empty": Image.fromarray(speck),
        "background-kept": Image.fromarray(np.maximum(alpha, 240).astype(np.uint8)),
        "cut-off": Image.fromarray(cut_off),
        "scattered": Image.fromarray(scattered),
        "fog": Image.fromarray(cv2.GaussianBlur(alpha, (0, 0), 40) // 2 + 40),
    }


def engine_cases(engine: U2NetMatting, photo: Image.Image) -> dict[str, tuple]:
    """The model's matte of the photo, greyscale and turned, each with its mirrored run."""
    turned = photo.rotate(90, expand=True)
    variants = {
        "model": (photo, lambda matte: matte),
        "model-greyscale": (ImageOps.grayscale(photo).convert("RGB"), lambda matte: matte),
        "model-turned": (turned, lambda matte: matte.rotate(-90, expand=True)),
    }
    cases = {}
    for name, (picture, back) in variants.items():
        matte = back(engine.predict(picture))
        mirrored = back(ImageOps.mirror(engine.predict(ImageOps.mirror(picture))))
        cases[name] = (matte, mirrored)
    return cases


def evaluate(engine: U2NetMatting, photo_path: Path, alpha_path: Path) -> list[Case]:
    photo = Image.open(photo_path).convert("RGB")
    truth_image = Image.open(alpha_path).convert("L")
    truth = np.asarray(truth_image, dtype=np.float32) / 255
    stem = photo_path.stem
    mattes: dict[str, tuple] = {"truth": (truth_image, None)}
    mattes.update(engine_cases(engine, photo))
    mattes.update({name: (matte, None) for name, matte in broken(truth_image).items()})
    cases = []
    for name, (matte, mirrored) in mattes.items():
        iou, mae = quality(matte, truth)
        review = review_matte(matte, mirrored=mirrored)
        cases.append(Case(name=f"{stem} {name}", iou=iou, mae=mae, review=review))
    return cases


def review_ms_at_12_megapixels(truth: Image.Image) -> float:
    big = truth.resize((4000, 3000), Image.Resampling.BILINEAR)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        review_matte(big)
        runs.append(time.perf_counter() - started)
    return sorted(runs)[len(runs) // 2] * 1000


def print_report(cases: list[Case], review_ms: float) -> None:
    print("| matte | IoU | MAE % | truly bad | flagged | reasons |")
    print("|---|---:|---:|---|---|---|")
    for case in cases:
        print(
            f"| {case.name} | {case.iou:.3f} | {case.mae * 100:.1f} | "
            f"{'bad' if case.bad else 'good'} | "
            f"{'flagged' if case.review.needs_review else '-'} | "
            f"{' '.join(case.review.reasons)} |"
        )
    true_flags = sum(case.bad and case.review.needs_review for case in cases)
    false_flags = sum(not case.bad and case.review.needs_review for case in cases)
    missed = sum(case.bad and not case.review.needs_review for case in cases)
    good_passed = sum(not case.bad and not case.review.needs_review for case in cases)
    precision = true_flags / (true_flags + false_flags) if true_flags + false_flags else 1.0
    recall = true_flags / (true_flags + missed) if true_flags + missed else 1.0
    print()
    print(
        f"{len(cases)} mattes, {true_flags + missed} bad and {false_flags + good_passed} good: "
        f"{true_flags} true flags, {false_flags} false flags, {missed} bad ones missed, "
        f"{good_passed} good ones passed."
    )
    print(f"Precision {precision:.0%}, recall {recall:.0%}.")
    print(f"One review of a 12-megapixel matte: {review_ms:.1f} ms (median of 5).")


def main() -> None:
    parser = eval_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    pairs = eval_pairs(parser, args.eval_dir)
    engine = U2NetMatting(args.model)
    cases = [case for photo, alpha in pairs for case in evaluate(engine, photo, alpha)]
    print_report(cases, review_ms_at_12_megapixels(Image.open(pairs[0][1]).convert("L")))


if __name__ == "__main__":
    main()
