import pytest

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_from_the_home_page_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/"


@pytest.mark.parametrize(
    "path", ["/accounts/password_change/", "/accounts/password_change/done/", "/accounts/invites/"]
)
def test_it_sends_anonymous_visitors_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(f"/accounts/login/?next={path}")


def test_it_leaves_the_admin_to_its_own_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
