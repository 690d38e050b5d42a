"""Quality and speed of the offline matting engine on the shared evaluation set.

Run from the repository root: .venv/bin/python -m bench.matte_quality

For every NAME.png with a NAME_alpha.png beside it, it scores the raw u2netp
matte and the refined one against the true alpha, then averages per subject
(the part of NAME before the first "_") and overall. Metrics, with alpha in
[0, 1]: MAE (as a percentage), IoU of the alpha ≥ 0.5 regions, and edge MAE:
the MAE over pixels within 5 px of a partly transparent pixel or of a hard
edge. The hard edges count because the logo's true alpha is all 0 or 255, so
"0 < alpha < 1" alone would leave it no band at all. Output is Markdown tables.
"""

import argparse
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from cutouts.lib.matting import U2NetMatting, refine_matte

REPO = Path(__file__).resolve().parent.parent
EDGE_BAND_PX = 5


@dataclass(frozen=True)
class Scores:
    mae: float
    iou: float
    edge_mae: float


@dataclass(frozen=True)
class Result:
    name: str
    raw: Scores
    refined: Scores
    model_seconds: float
    refine_seconds: float


def score(predicted: Image.Image, truth: np.ndarray, edge_band: np.ndarray) -> Scores:
    alpha = np.asarray(predicted, dtype=np.float32) / 255
    error = np.abs(alpha - truth)
    subject, true_subject = alpha >= 0.5, truth >= 0.5
    union = (subject | true_subject).sum()
    iou = float((subject & true_subject).sum() / union) if union else 1.0
    return Scores(float(error.mean() * 100), iou, float(error[edge_band].mean() * 100))


def edge_band(truth: np.ndarray) -> np.ndarray:
    size = 2 * EDGE_BAND_PX + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    near_some_subject = cv2.dilate((truth > 0).astype(np.uint8), disc) > 0
    near_some_background = cv2.dilate((truth < 1).astype(np.uint8), disc) > 0
    return near_some_subject & near_some_background


def evaluate(engine: U2NetMatting, photo_path: Path, alpha_path: Path) -> Result:
    image = Image.open(photo_path)
    image.load()
    truth = np.asarray(Image.open(alpha_path).convert("L"), dtype=np.float32) / 255
    band = edge_band(truth)
    started = time.perf_counter()
    raw = engine.predict_raw(image)
    modelled = time.perf_counter()
    refined = refine_matte(image, raw)
    finished = time.perf_counter()
    return Result(
        name=photo_path.stem,
        raw=score(raw, truth, band),
        refined=score(refined, truth, band),
        model_seconds=modelled - started,
        refine_seconds=finished - modelled,
    )


def mean_scores(scores: list[Scores]) -> Scores:
    return Scores(
        statistics.fmean(s.mae for s in scores),
        statistics.fmean(s.iou for s in scores),
        statistics.fmean(s.edge_mae for s in scores),
    )


def table_row(label: str, raw: Scores, refined: Scores) -> str:
    cells = [label]
    for s in (raw, refined):
        cells += [f"{s.mae:.2f}", f"{s.iou:.3f}", f"{s.edge_mae:.2f}"]
    return "| " + " | ".join(cells) + " |"


def print_report(results: list[Result]) -> None:
    header = (
        "| {} | raw MAE % | raw IoU | raw edge MAE % "
        "| refined MAE % | refined IoU | refined edge MAE % |"
    )
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    print(header.format("image"))
    print(rule)
    for r in results:
        print(table_row(r.name, r.raw, r.refined))

    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.name.split("_")[0], []).append(r)
    groups["all"] = results
    print()
    print(header.format("subject"))
    print(rule)
    for label, members in groups.items():
        print(
            table_row(
                f"{label} ({len(members)})",
                mean_scores([r.raw for r in members]),
                mean_scores([r.refined for r in members]),
            )
        )

    model_ms = statistics.median(r.model_seconds for r in results) * 1000
    refine_ms = statistics.median(r.refine_seconds for r in results) * 1000
    print()
    print(
        f"Median time per image: model {model_ms:.0f} ms + refinement {refine_ms:.0f} ms "
        f"({os.cpu_count()} CPUs)."
    )


def eval_parser(description: str) -> argparse.ArgumentParser:
    """The options of a bench over the evaluation set: where it is, and the model."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--eval-dir", type=Path, default=REPO / "../shared/eval/matting")
    parser.add_argument(
        "--model",
        type=Path,
        # As in settings: a relative MATTING_MODEL_PATH is taken from the repository root.
        default=REPO / os.environ.get("MATTING_MODEL_PATH", "var/models/u2netp.onnx"),
    )
    return parser


def eval_pairs(parser: argparse.ArgumentParser, eval_dir: Path) -> list[tuple[Path, Path]]:
    """Each NAME.png with its true NAME_alpha.png; the bench stops when there is none."""
    pairs = [
        (photo, photo.with_name(f"{photo.stem}_alpha.png"))
        for photo in sorted(eval_dir.glob("*.png"))
        if not photo.stem.endswith("_alpha")
    ]
    pairs = [(photo, alpha) for photo, alpha in pairs if alpha.exists()]
    if not pairs:
        parser.error(f"no NAME.png with NAME_alpha.png in {eval_dir}")
    return pairs


def main() -> None:
    parser = eval_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    pairs = eval_pairs(parser, args.eval_dir)
    engine = U2NetMatting(args.model)
    # The first call loads the model; keep that out of the timings.
    engine.predict(Image.open(pairs[0][0]))
    print_report([evaluate(engine, photo, alpha) for photo, alpha in pairs])


if __name__ == "__main__":
    main()
