"""Needs review: the checks that flag a doubtful matte, each on a matte made to fail it."""

import numpy as np
from PIL import Image, ImageDraw

from cutouts.lib.matte_review import review_matte

SIZE = (800, 600)


def ellipse(box: tuple[int, int, int, int], size: tuple[int, int] = SIZE) -> Image.Image:
    matte = Image.new("L", size, 0)
    ImageDraw.Draw(matte).ellipse(box, fill=255)
    return matte


def test_a_product_in_the_middle_needs_no_review():
    review = review_matte(ellipse((200, 100, 600, 500)))

    assert not review.needs_review
    assert (review.sides_cut, review.pieces) == (0, 1)
    assert 0.2 < review.subject < 0.4


def test_a_product_standing_on_the_bottom_edge_needs_no_review():
    assert not review_matte(ellipse((250, 150, 550, 700))).needs_review


def test_a_speck_kept_is_almost_no_subject():
    review = review_matte(ellipse((390, 290, 410, 310)))

    assert review.reasons == ("Almost no subject: only 0.1% of the picture was kept.",)


def test_everything_kept_is_almost_no_background_removed():
    review = review_matte(Image.new("L", SIZE, 250))

    assert review.reasons[0] == "Almost no background removed: 100% of the picture was kept."


def test_a_subject_sliced_by_the_frame_on_three_sides_is_flagged():
    review = review_matte(ellipse((-200, 100, 1000, 900)))

    assert review.sides_cut == 3
    assert "runs into the frame on 3 sides" in " ".join(review.reasons)


def test_confetti_is_flagged_with_its_number_of_pieces():
    matte = Image.new("L", SIZE, 0)
    draw = ImageDraw.Draw(matte)
    for row in range(3):
        for column in range(4):
            draw.rectangle(
                (100 + column * 160, 100 + row * 150, 160 + column * 160, 160 + row * 150), fill=255
            )

    assert review_matte(matte).reasons == ("The cutout is in 12 separate pieces.",)


def test_fog_is_flagged_as_half_transparent():
    fog = Image.fromarray(np.full(SIZE[::-1], 120, dtype=np.uint8))
    foggy = Image.composite(ellipse((200, 100, 600, 500)), fog, ellipse((150, 50, 650, 550)))

    review = review_matte(foggy)

    assert review.soft > 0.35
    assert any("half-transparent" in reason for reason in review.reasons)


def test_a_model_that_finds_another_subject_when_mirrored_is_flagged():
    here = ellipse((100, 100, 400, 500))

    assert review_matte(here, mirrored=here).mirror_iou == 1.0
    disagreeing = review_matte(here, mirrored=ellipse((420, 100, 720, 500)))
    assert disagreeing.mirror_iou == 0.0
    assert "mirrored photo" in disagreeing.reasons[0]


def test_a_huge_matte_is_reviewed_on_a_small_copy_with_the_same_verdict():
    small = review_matte(ellipse((200, 100, 600, 500)))
    large = review_matte(ellipse((1500, 750, 4500, 3750), size=(6000, 4500)))

    assert (large.needs_review, large.pieces, large.sides_cut) == (False, 1, 0)
    assert abs(large.subject - small.subject) < 0.01
