"""The offline matting engine: u2netp through onnxruntime, no network at run time.

u2netp is a small salient-object model (U^2-Net, Apache-2.0) that sees the image
at 320×320, so its matte is soft and blocky once scaled back up. `predict`
sharpens it cheaply against the photo itself: a guided filter (He et al.) lines
the matte's edges up with the image's, then a gentle contrast curve clears the
faint haze and the near-opaque speckle the model leaves. `predict_raw` keeps the
unrefined matte so the benchmark can show what the refinement buys.

scripts/fetch-model.sh puts the model file in place at set-up.
"""

import functools
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from PIL import Image

from cutouts.lib.guided_filter import fast_guided_filter

MODEL_SIZE = 320
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# The guided filter's window covers a few model pixels once scaled up (8 px at
# 1024 px), wide enough to move a blocky edge onto the photo's edge, narrow
# enough to keep fur. A small eps lets the matte follow faint edges too.
GUIDED_RADIUS_IN_MODEL_PIXELS = 2.5
GUIDED_EPS = 1e-4
# Above this long side the filter's coefficients are computed on a reduced
# copy and scaled up (He's "fast guided filter"), so a 50-megapixel upload
# costs about as much as a 1024 px one. At or below it the filter is exact.
GUIDED_MAX_SIDE = 1024
# Values the model leaves below LOW are background haze, above HIGH opaque
# subject; stretching between them measurably lowers the error (bench/).
CURVE_LOW = 0.1
CURVE_HIGH = 0.9


class MattingModelMissing(FileNotFoundError):
    def __init__(self, model_path: Path) -> None:
        super().__init__(
            f"The u2netp matting model is missing at {model_path}. Fetch it with "
            "`make run` (or scripts/fetch-model.sh), or point MATTING_MODEL_PATH at a copy."
        )


class U2NetMatting:
    """Alpha mattes from u2netp. Cheap to build: the model loads on first use.

    One instance may serve many threads at once: onnxruntime sessions' run()
    is thread-safe and the rest holds no state.
    """

    def __init__(self, model_path: str | Path) -> None:
        self.model_path = Path(model_path)
        self._session: ort.InferenceSession | None = None
        self._session_lock = threading.Lock()

    def predict(self, image: Image.Image) -> Image.Image:
        """The refined matte: mode "L", the size of `image`, 255 = subject."""
        return refine_matte(image, self.predict_raw(image))

    def predict_raw(self, image: Image.Image) -> Image.Image:
        """The model's matte scaled to the size of `image`, without refinement."""
        session = self._get_session()
        batch = _model_input(image)
        saliency = session.run(None, {session.get_inputs()[0].name: batch})[0][0, 0]
        low, high = float(saliency.min()), float(saliency.max())
        # The model's outputs are not probabilities; min-max makes the map a matte.
        matte = (saliency - low) / (high - low) if high > low else np.zeros_like(saliency)
        matte = cv2.resize(matte, image.size, interpolation=cv2.INTER_LINEAR)
        return _to_image(matte)

    def _get_session(self) -> ort.InferenceSession:
        if self._session is None:
            with self._session_lock:
                if self._session is None:
                    self._session = self._load_session()
        return self._session

    def _load_session(self) -> ort.InferenceSession:
        if not self.model_path.is_file():
            raise MattingModelMissing(self.model_path)
        options = ort.SessionOptions()
        # A 320×320 model gains little past a few threads, and on a small
        # server the web process and the worker share the cores.
        options.intra_op_num_threads = min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        return ort.InferenceSession(
            str(self.model_path), options, providers=["CPUExecutionProvider"]
        )


def get_matting(model_path: str | Path) -> U2NetMatting:
    """The process's one engine for this model file, so it loads once."""
    return _shared_matting(Path(model_path).resolve())


@functools.cache
def _shared_matting(model_path: Path) -> U2NetMatting:
    return U2NetMatting(model_path)


def refine_matte(image: Image.Image, matte: Image.Image) -> Image.Image:
    """Snap an upscaled matte's edges to the photo's, then clear near-0/near-1 values."""
    guide = np.asarray(image.convert("L"), dtype=np.float32) / 255
    alpha = np.asarray(matte.convert("L"), dtype=np.float32) / 255
    filtered = _guided_filter(guide, alpha)
    return _to_image((filtered - CURVE_LOW) / (CURVE_HIGH - CURVE_LOW))


def _model_input(image: Image.Image) -> np.ndarray:
    small = image.convert("RGB").resize((MODEL_SIZE, MODEL_SIZE), Image.Resampling.LANCZOS)
    pixels = (np.asarray(small, dtype=np.float32) / 255 - IMAGENET_MEAN) / IMAGENET_STD
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)[np.newaxis])


def _guided_filter(guide: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The guided filter at the refinement's window, exact up to GUIDED_MAX_SIDE."""
    height, width = guide.shape
    scale = min(1.0, GUIDED_MAX_SIDE / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    radius = max(1, round(GUIDED_RADIUS_IN_MODEL_PIXELS * max(small_size) / MODEL_SIZE))
    return fast_guided_filter(guide, source, small_size=small_size, radius=radius, eps=GUIDED_EPS)


def _to_image(matte: np.ndarray) -> Image.Image:
    return Image.fromarray(np.rint(np.clip(matte, 0, 1) * 255).astype(np.uint8))
