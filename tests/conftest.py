import os
from urllib.parse import urlparse

import pytest
from django.conf import settings as django_settings
from django.test import Client

# Tests empty the Redis database they use, so they never use the app's own:
# the same server as REDIS_URL, database TEST_REDIS_DB (15). Worker processes
# started by tests are given this URL too.
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15"))
TEST_REDIS_URL = urlparse(django_settings.REDIS_URL)._replace(path=f"/{TEST_REDIS_DB}").geturl()
django_settings.REDIS_URL = TEST_REDIS_URL
django_settings.RQ_QUEUES = {
    name: {**queue, "URL": TEST_REDIS_URL} for name, queue in django_settings.RQ_QUEUES.items()
}

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Every test writes media to its own folder and never needs collectstatic.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_user(
        "root", "root@example.com", PASSWORD, is_staff=True, is_superuser=True
    )


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return _client_for(alice)


@pytest.fixture
def bob_client(bob):
    return _client_for(bob)


@pytest.fixture
def admin_client_(admin_user):
    return _client_for(admin_user)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


pytest_plugins = ["tests.sandbox_fixtures", "tests.worker_fixtures", "tests.webhook_receiver"]
