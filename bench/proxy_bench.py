"""What the proxy step saves: bytes sent and time to build, ours against the vendor SDK's.

Run from the repository root: .venv/bin/python -m bench.proxy_bench

It makes a 12-megapixel camera-like JPEG from a photo of the shared eval set
(enlarged to 4000×3000, with sensor-like grain so it compresses like a real
photo, 3–6 MB), then builds the image to send from it both ways:
- ours, cutouts.lib.proxy.build_proxy: JPEG draft decode, Lanczos to 1024 px,
  sRGB, JPEG quality 90;
- the vendor SDK's (withoutbg/api.py): full decode, EXIF transpose, RGB,
  Lanczos to 1024 px, PNG.
It prints the bytes each sends (the image, and the JSON body with it in
base64) and the median time to build it. Goals: ≤ 350 KB sent, ≥ 2× faster.
"""

import argparse
import base64
import io
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from cutouts.lib.proxy import MAX_SIDE, build_proxy

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "matting"
CAMERA_SIZE = (4000, 3000)
GRAIN_SIGMA = 6.0  # grey levels; roughly a phone camera's noise at base ISO


def camera_jpeg(photo: Path, seed: int = 0) -> bytes:
    """An eval photo enlarged to 12 MP with grain, saved as a camera would (q92, EXIF)."""
    enlarged = Image.open(photo).convert("RGB").resize(CAMERA_SIZE, Image.Resampling.BICUBIC)
    pixels = np.asarray(enlarged, dtype=np.float32)
    rng = np.random.default_rng(seed)
    # Grain shared by the channels (luma) plus a little per channel (chroma).
    luma = rng.normal(0, GRAIN_SIGMA, pixels.shape[:2])[..., np.newaxis]
    chroma = rng.normal(0, GRAIN_SIGMA / 3, pixels.shape)
    grainy = np.clip(pixels + luma + chroma, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 1  # orientation tag present, as cameras write it
    buffer = io.BytesIO()
    Image.fromarray(grainy).save(buffer, format="JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def ours(data: bytes) -> bytes:
    return build_proxy(data).jpeg


def vendor_sdk(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened.copy()).convert("RGB")
    scale = MAX_SIDE / max(image.size)
    size = (round(image.width * scale), round(image.height * scale))
    resized = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    resized.save(buffer, format="PNG")
    return buffer.getvalue()


def median_seconds(build: Callable[[bytes], bytes], data: bytes, runs: int) -> float:
    build(data)  # warm-up: imports, codec tables
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        build(data)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def json_body_size(image: bytes) -> int:
    return len(json.dumps({"image_base64": base64.b64encode(image).decode()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", default="lemur_coffee.png", help="a file in the eval set")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    data = camera_jpeg(EVAL_DIR / args.photo)
    print(f"Input: {CAMERA_SIZE[0]}×{CAMERA_SIZE[1]} JPEG, {len(data) / 1e6:.2f} MB\n")
    print("| path | image sent | JSON body | median build time |")
    print("|---|---|---|---|")
    times = {}
    for name, build in (("ours (JPEG q90)", ours), ("vendor SDK (PNG)", vendor_sdk)):
        sent = build(data)
        times[name] = median_seconds(build, data, args.runs)
        print(
            f"| {name} | {len(sent) / 1000:.0f} KB | {json_body_size(sent) / 1000:.0f} KB "
            f"| {times[name] * 1000:.0f} ms |"
        )
    speedup = times["vendor SDK (PNG)"] / times["ours (JPEG q90)"]
    print(f"\nOurs is {speedup:.1f}× faster to build (median of {args.runs} runs).")


if __name__ == "__main__":
    main()
