"""Backgrounds: transparent, a colour, a picture (cover or contain), blur, gradient."""

import numpy as np
import pytest
from PIL import Image

from tests.scenes import disc_alpha, rect_alpha, render, scene

SIZE = (160, 120)


@pytest.fixture(scope="module")
def noisy_photo():
    """A disc cut from a photo of random colours, so nothing hides by chance."""
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    shot = scene(disc_alpha(SIZE, 40, softness=2))
    return type(shot)(Image.fromarray(pixels), shot.matte, shot.foreground, shot.alpha)


def test_transparent_png_keeps_the_photo_where_opaque_and_zeroes_rgb_where_transparent(
    noisy_photo,
):
    _, rgba = render(noisy_photo, {"edges": {"decontaminate": False}})

    alpha = rgba[..., 3]
    assert (alpha == np.asarray(noisy_photo.matte)).all()
    assert (rgba[alpha == 0][:, :3] == 0).all()
    opaque = alpha == 255
    assert (rgba[opaque][:, :3] == np.asarray(noisy_photo.original)[opaque]).all()


def test_a_colour_background_is_that_exact_colour_around_the_subject(noisy_photo):
    _, rgb = render(noisy_photo, {"background": {"type": "color", "color": "#3366cc"}})

    outside = np.asarray(noisy_photo.matte) == 0
    assert (rgb[outside] == (0x33, 0x66, 0xCC)).all()


def test_a_transparent_background_becomes_white_in_a_jpeg(noisy_photo):
    _, rgb = render(noisy_photo, {"output": {"format": "JPEG", "quality": 95}})

    assert rgb.shape[2] == 3
    assert (rgb[:5, :5] >= 250).all()


def _two_tone(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: where it lands shows how it was fitted."""
    picture = Image.new("RGB", size, (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return picture


def _nothing(size: tuple[int, int]):
    return scene(np.zeros((size[1], size[0]), np.float32))


def test_cover_fills_the_canvas_and_crops_the_backdrops_sides():
    backdrop = _two_tone((400, 100))  # 4:1, onto a 4:3 canvas

    _, rgba = render(
        _nothing(SIZE), {"background": {"type": "image", "backdrop_id": 1}}, backdrop=backdrop
    )

    assert rgba.shape[2] == 3  # opaque everywhere: no alpha channel needed
    assert (rgba[:, :75] == (255, 0, 0)).all()
    assert (rgba[:, 85:] == (0, 0, 255)).all()


def test_contain_shows_the_whole_backdrop_with_transparent_bars():
    backdrop = _two_tone((400, 100))

    _, rgba = render(
        _nothing(SIZE),
        {"background": {"type": "image", "backdrop_id": 1, "fit": "contain"}},
        backdrop=backdrop,
    )

    # 400×100 into 160×120: 160×40, with 40 px bars above and below.
    assert (rgba[:40, :, 3] == 0).all() and (rgba[80:, :, 3] == 0).all()
    assert (rgba[41:79, :, 3] == 255).all()
    assert (rgba[60, :75, :3] == (255, 0, 0)).all() and (rgba[60, 85:, :3] == (0, 0, 255)).all()


def test_contained_bars_are_white_in_a_jpeg():
    _, rgb = render(
        _nothing(SIZE),
        {
            "background": {"type": "image", "backdrop_id": 1, "fit": "contain"},
            "output": {"format": "JPEG", "quality": 95},
        },
        backdrop=_two_tone((400, 100)),
    )

    assert (rgb[:30] >= 250).all()


def test_an_image_background_without_its_picture_is_an_error():
    with pytest.raises(ValueError, match="needs its backdrop picture"):
        render(_nothing(SIZE), {"background": {"type": "image", "backdrop_id": 1}})


def test_blur_softens_the_photo_and_leaves_no_ghost_of_the_subject():
    size = (200, 150)
    alpha = disc_alpha(size, 35)
    shot = scene(alpha, (0, 255, 0), (0, 0, 0))
    photo = np.asarray(shot.original).copy()
    photo[:, :100, 0] = np.where(alpha[:, :100] > 0, 0, 255)  # red left of a green disc
    photo[:, 100:, 2] = np.where(alpha[:, 100:] > 0, 0, 255)  # blue right of it
    shot = type(shot)(Image.fromarray(photo), shot.matte, shot.foreground, alpha)

    _, rgb = render(shot, {"background": {"type": "blur", "strength": 60}})

    # The sharp red|blue border far from the disc is now a gradual one.
    row = rgb[5].astype(int)
    assert 40 < row[100, 0] < 215 and row[60, 0] > row[100, 0] > row[140, 0]
    # Just outside the disc there is no green: the subject was taken out before blurring.
    ring = (disc_alpha(size, 45) > 0) & (alpha == 0)
    assert rgb[ring][:, 1].max() < 20


def test_the_blurred_background_is_placed_as_the_subject_is_when_cropping():
    shot = scene(rect_alpha(SIZE, (60, 40, 100, 80)), (0, 255, 0), (200, 0, 0))

    _, rgb = render(
        shot,
        {
            "background": {"type": "blur", "strength": 10},
            "framing": {"crop": "subject", "padding": 0.25},
        },
    )

    assert rgb.shape[:2] == (60, 60)
    assert (np.abs(rgb[2, 2].astype(int) - (200, 0, 0)) < 8).all()


@pytest.mark.parametrize(
    ("angle", "first", "last"),
    [(180, "top", "bottom"), (90, "left", "right"), (0, "bottom", "top")],
)
def test_a_gradient_runs_from_its_first_colour_to_its_second_at_the_angle(angle, first, last):
    _, rgb = render(
        _nothing(SIZE),
        {"background": {"type": "gradient", "from": "#ff0000", "to": "#0000ff", "angle": angle}},
    )

    edges = {"top": rgb[0], "bottom": rgb[-1], "left": rgb[:, 0], "right": rgb[:, -1]}
    assert (edges[first][..., 0] > 240).all() and (edges[first][..., 2] < 15).all()
    assert (edges[last][..., 2] > 240).all() and (edges[last][..., 0] < 15).all()
    middle = rgb[SIZE[1] // 2, SIZE[0] // 2].astype(int)
    assert abs(middle[0] - 128) < 4 and abs(middle[2] - 128) < 4


def test_a_linear_light_gradient_is_brighter_in_the_middle():
    spec = {"background": {"type": "gradient", "from": "#ff0000", "to": "#0000ff", "angle": 90}}

    _, plain = render(_nothing(SIZE), spec)
    _, linear = render(_nothing(SIZE), {**spec, "output": {"linear_light": True}})

    middle = (SIZE[1] // 2, SIZE[0] // 2)
    assert linear[middle][0] == pytest.approx(188, abs=2)  # half the light of 255: sRGB 188
    assert plain[middle][0] == pytest.approx(128, abs=2)
