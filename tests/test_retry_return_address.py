"""A retry returns where the form asked only when that is a path of ours; else to the image."""

import pytest

from tests.studio_images import processed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("wanted", ["[]", "dashboard", "²", "https://evil.example/"])
def test_a_retry_asked_to_return_somewhere_not_a_path_of_ours_returns_to_the_image(
    admin_client_, alice, wanted
):
    image = processed(alice)

    response = admin_client_.post(f"/images/{image.pk}/retry/", {"next": wanted})

    assert (response.status_code, response["Location"]) == (302, f"/images/{image.pk}/")
