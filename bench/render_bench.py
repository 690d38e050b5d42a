"""Render time, peak memory and file size: our compositor against the vendor SDK's path.

Run from the repository root: .venv/bin/python -m bench.render_bench

The original is a photo of the shared eval set (lemur_coffee.png) enlarged to
12 MP (4000×3000) or 50 MP (8660×5773) with sensor-like grain; the matte is
that photo's true alpha at 1024×768, as the API returns it for the proxy.
Each case runs in a fresh process, so its peak resident memory (ru_maxrss)
is its own, and times `--runs` renders after one warm-up:

- sdk: the vendor SDK's path — Pillow Lanczos resize of the matte to full
  size, putalpha onto the original, PNG save (Pillow's default level);
- png: ours, render() with the "transparent-png" preset;
- jpeg-white: ours, render() onto white (#ffffff), JPEG quality 90, full size;
- amazon: ours, the "amazon-main" preset (2000 px square JPEG);
- png-50mp, jpeg-white-50mp: the same at 50 MP, for memory.

What a time covers: from the decoded original (a Pillow RGB image) and the
1024-px matte (a Pillow "L" image) to the encoded file's bytes — matte upscale,
compositing (colour clean-up included: it is on by default) and encoding.
Decoding the original's file is not included, on either side.
Goals: png ≥ 3× faster than sdk with a file no larger; jpeg-white < 150 ms
at 12 MP; every 50 MP case < 1.5 GB peak.
"""

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from cutouts.lib import compositor
from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.lib.render_spec import RenderSpec, parse_spec

# The shared eval set sits beside the repository, as on every machine and in CI.
EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "matting"
PHOTO = "lemur_coffee"
SIZE_12MP = (4000, 3000)
SIZE_50MP = (8660, 5773)
GRAIN_SIGMA = 6.0  # grey levels; roughly a phone camera's noise at base ISO
STRIP_ROWS = 64  # rows of the set-up photo made at a time

ON_WHITE = parse_spec(
    {"background": {"type": "color", "color": "#ffffff"}, "output": {"format": "JPEG"}}
)
CASES: dict[str, tuple[tuple[int, int], str]] = {
    "sdk": (SIZE_12MP, "vendor SDK: Lanczos matte, putalpha, PNG"),
    "png": (SIZE_12MP, "ours: transparent PNG, full size"),
    "jpeg-white": (SIZE_12MP, "ours: JPEG on white, full size"),
    "amazon": (SIZE_12MP, "ours: amazon-main preset (2000 px JPEG)"),
    "png-50mp": (SIZE_50MP, "ours: transparent PNG, full size, 50 MP"),
    "jpeg-white-50mp": (SIZE_50MP, "ours: JPEG on white, full size, 50 MP"),
}


def camera_original(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """The eval photo enlarged to `size` with grain, a strip at a time.

    Only the finished image is ever held whole, so a case's peak memory is
    its render's, not this set-up's.
    """
    photo = Image.open(EVAL_DIR / f"{PHOTO}.png").convert("RGB")
    scale_y = photo.height / size[1]
    rng = np.random.default_rng(seed)
    original = Image.new("RGB", size)
    for top in range(0, size[1], STRIP_ROWS):
        bottom = min(size[1], top + STRIP_ROWS)
        source_rows = (0, top * scale_y, photo.width, bottom * scale_y)
        strip = photo.resize((size[0], bottom - top), Image.Resampling.BICUBIC, box=source_rows)
        pixels = np.asarray(strip, np.float32)
        # Grain shared by the channels (luma) plus a little per channel (chroma).
        luma = rng.normal(0, GRAIN_SIGMA, pixels.shape[:2])[..., np.newaxis]
        chroma = rng.normal(0, GRAIN_SIGMA / 3, pixels.shape)
        grainy = np.clip(pixels + luma + chroma, 0, 255).astype(np.uint8)
        original.paste(Image.fromarray(grainy), (0, top))
    return original


def proxy_matte() -> Image.Image:
    return Image.open(EVAL_DIR / f"{PHOTO}_alpha.png").convert("L")


def vendor_sdk(original: Image.Image, matte: Image.Image) -> Callable[[], bytes]:
    """The SDK's steps; the copy it would not make (it changes its own image) is not timed."""
    copies: list[Image.Image] = []

    def prepare() -> None:
        copies.append(original.copy())

    def run() -> bytes:
        image = copies.pop()
        image.putalpha(matte.resize(image.size, Image.Resampling.LANCZOS))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()

    run.prepare = prepare  # type: ignore[attr-defined]
    return run


def ours(original: Image.Image, matte: Image.Image, spec: RenderSpec) -> Callable[[], bytes]:
    return lambda: compositor.render(original, matte, spec).data


def run_case(name: str, runs: int) -> dict:
    size, _ = CASES[name]
    original, matte = camera_original(size), proxy_matte()
    if name == "sdk":
        render = vendor_sdk(original, matte)
    else:
        spec = {
            "png": BUILTIN_PRESETS["transparent-png"].spec,
            "amazon": BUILTIN_PRESETS["amazon-main"].spec,
        }.get(name.removesuffix("-50mp"), ON_WHITE)
        render = ours(original, matte, spec)
    setup_rss = _peak_rss_mb()
    timings, cpu_times, data = [], [], b""
    for attempt in range(runs + 1):
        prepare = getattr(render, "prepare", None)
        if prepare:
            prepare()
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        data = render()
        if attempt:  # the first is a warm-up: imports, codec tables
            timings.append(time.perf_counter() - started)
            cpu_times.append(_cpu_seconds() - cpu_started)
    return {
        "case": name,
        "median_ms": statistics.median(timings) * 1000,
        "best_ms": min(timings) * 1000,
        "cpu_ms": statistics.median(cpu_times) * 1000,
        "peak_rss_mb": _peak_rss_mb(),
        "setup_rss_mb": setup_rss,
        "bytes": len(data),
    }


def _cpu_seconds() -> float:
    """CPU time of every thread of this process: unlike wall time, barely moved by
    other processes on the machine; on an idle one, wall time is at most this."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed renders per 12 MP case")
    parser.add_argument("--runs-50mp", type=int, default=3)
    parser.add_argument("--case", choices=CASES, help="run one case here (used by the parent)")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.runs)))
        return

    results = {}
    for name, (size, _) in CASES.items():
        runs = args.runs_50mp if size == SIZE_50MP else args.runs
        command = [sys.executable, "-m", "bench.render_bench", "--case", name, "--runs", str(runs)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
        results[name] = json.loads(finished.stdout)

    sdk = results["sdk"]
    # Wall times on a shared machine are only as good as its quiet: say how busy it was.
    print(
        f"Load average (1, 5, 15 min) after the run: {os.getloadavg()}, on {os.cpu_count()} CPUs\n"
    )
    print("| case | size | median | best | CPU (all threads) | peak RSS (inputs alone) | file |")
    print("|---|---|---|---|---|---|---|")
    for name, (size, label) in CASES.items():
        result = results[name]
        print(
            f"| {label} | {size[0]}×{size[1]} | {result['median_ms']:.0f} ms "
            f"| {result['best_ms']:.0f} ms | {result['cpu_ms']:.0f} ms "
            f"| {result['peak_rss_mb']:.0f} MB "
            f"({result['setup_rss_mb']:.0f} MB) | {result['bytes'] / 1e6:.2f} MB |"
        )
    png = results["png"]
    print(
        f"\nTransparent PNG: {sdk['median_ms'] / png['median_ms']:.1f}× faster than the SDK's "
        f"path (median), file {png['bytes'] / sdk['bytes']:.2f}× its size."
    )


if __name__ == "__main__":
    main()
