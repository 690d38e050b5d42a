"""django-rq's dashboard, at /admin/rq/: for admins only, linked from the app and the admin."""

import pytest

pytestmark = pytest.mark.django_db


def test_admins_open_the_queue_dashboard(admin_client_, queue_redis):
    response = admin_client_.get("/admin/rq/")

    assert response.status_code == 200
    assert b"default" in response.content


def test_members_are_sent_to_the_admins_sign_in(alice_client):
    response = alice_client.get("/admin/rq/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admins_find_it_from_the_app_and_from_the_admin(admin_client_, alice_client):
    link = '<a href="/admin/rq/">Queue</a>'

    assert link in admin_client_.get("/").content.decode()
    assert link in admin_client_.get("/admin/").content.decode()
    assert link not in alice_client.get("/").content.decode()
