"""Only admins reach the dashboard: members get 403, visitors are sent to sign in."""

import pytest

pytestmark = pytest.mark.django_db

DASHBOARD_URLS = [
    ("get", "/dashboard/"),
    ("get", "/dashboard/?days=7"),
    ("post", "/dashboard/refresh-credits/"),
]


@pytest.mark.parametrize(("method", "url"), DASHBOARD_URLS)
def test_a_visitor_is_sent_to_sign_in(client, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(("method", "url"), DASHBOARD_URLS)
def test_a_member_is_refused(alice_client, method, url):
    response = getattr(alice_client, method)(url)

    assert response.status_code == 403


def test_an_admin_sees_the_dashboard(admin_client_):
    response = admin_client_.get("/dashboard/")

    assert response.status_code == 200
    assert b"<h1>Dashboard</h1>" in response.content


def test_only_admins_have_the_dashboard_link(admin_client_, alice_client):
    assert b'href="/dashboard/"' in admin_client_.get("/").content
    assert b'href="/dashboard/"' not in alice_client.get("/").content


def test_the_credit_check_only_takes_a_post(admin_client_):
    assert admin_client_.get("/dashboard/refresh-credits/").status_code == 405
