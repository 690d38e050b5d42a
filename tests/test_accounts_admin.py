import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", list(apps.get_app_config("cutouts").get_models()))
def test_every_model_has_an_admin_list(admin_client_, model):
    assert admin.site.is_registered(model)
    meta = model._meta
    response = admin_client_.get(f"/admin/{meta.app_label}/{meta.model_name}/")
    assert response.status_code == 200


def test_it_lets_admins_search_images(admin_client_):
    assert admin_client_.get("/admin/cutouts/image/?q=cat&status__exact=done").status_code == 200


def test_records_cannot_be_added_by_hand(admin_client_):
    for model_name in ["apicall", "loginfailure", "invite"]:
        assert admin_client_.get(f"/admin/cutouts/{model_name}/add/").status_code == 403


def test_members_cannot_open_the_admin(alice_client):
    response = alice_client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
