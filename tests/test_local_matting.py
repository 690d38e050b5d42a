import numpy as np
import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from bench.matte_quality import edge_band, score
from cutouts.lib.matting import MattingModelMissing, U2NetMatting, get_matting, refine_matte
from tests.images import DATA_DIR


@pytest.fixture(scope="module")
def engine() -> U2NetMatting:
    # `make test` fetches the model first; without it these tests fail with
    # MattingModelMissing, which names the script that fetches it.
    return U2NetMatting(settings.MATTING_MODEL_PATH)


def test_it_separates_a_disc_from_its_background(engine):
    # An odd, non-square size, so any mix-up of width and height shows.
    size, box = (333, 250), (104, 62, 229, 187)
    photo = Image.new("RGB", size, (20, 40, 90))
    ImageDraw.Draw(photo).ellipse(box, fill=(250, 220, 60))
    truth = Image.new("L", size, 0)
    ImageDraw.Draw(truth).ellipse(box, fill=255)

    matte = engine.predict(photo)

    assert matte.mode == "L"
    assert matte.size == size
    predicted, expected = np.asarray(matte) >= 128, np.asarray(truth) >= 128
    # Measured: 0.99 raw, 1.0 refined.
    assert (predicted & expected).sum() / (predicted | expected).sum() > 0.95


def test_refinement_does_not_worsen_the_edges_of_an_eval_image(engine):
    photo = Image.open(DATA_DIR / "lemur_white.png")
    truth = np.asarray(Image.open(DATA_DIR / "lemur_alpha.png"), dtype=np.float32) / 255
    band = edge_band(truth)

    raw = engine.predict_raw(photo)
    refined = refine_matte(photo, raw)

    assert raw.size == refined.size == photo.size
    assert score(refined, truth, band).edge_mae <= score(raw, truth, band).edge_mae


def test_it_names_the_fix_when_the_model_is_missing(tmp_path):
    engine = U2NetMatting(tmp_path / "absent.onnx")

    with pytest.raises(MattingModelMissing, match="scripts/fetch-model.sh") as caught:
        engine.predict(Image.new("RGB", (8, 8)))
    assert str(tmp_path / "absent.onnx") in str(caught.value)


def test_it_shares_one_engine_per_model_file(tmp_path):
    path = tmp_path / "model.onnx"

    assert get_matting(path) is get_matting(str(path))
    assert get_matting(path) is not get_matting(tmp_path / "other.onnx")
