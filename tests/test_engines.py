"""get_engine() and the two engines behind the one interface."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from cutouts.lib.proxy import build_proxy
from cutouts.lib.withoutbg.client import InsufficientCredit, WithoutbgClient
from cutouts.processing.engines import ApiEngine, LocalEngine, get_engine
from tests.images import image_bytes
from tests.sandbox_fixtures import point_at_sandbox

PROXY = build_proxy(image_bytes("JPEG", (64, 48), quality=90))


@pytest.fixture
def api_settings(settings, sandbox):
    point_at_sandbox(settings, sandbox)
    return settings


def test_the_api_engine_mattes_through_the_sandbox(api_settings, sandbox):
    engine = get_engine()

    result = engine.matte(PROXY.jpeg)

    assert engine.name == "sandbox"
    assert result.image.mode == "L"
    assert result.image.size == PROXY.size
    assert result.stats.endpoint == "/v1.0/alpha-channel-base64"
    assert sandbox.state()["charges"] == 1


def test_the_api_engine_reports_credits(api_settings, sandbox):
    sandbox.configure(credits=12)

    assert get_engine().credits().credit == 12


def test_the_api_engine_raises_the_clients_errors(api_settings, sandbox):
    sandbox.configure(credits=0)

    with pytest.raises(InsufficientCredit):
        get_engine().matte(PROXY.jpeg)


def test_one_api_engine_serves_a_configuration(api_settings):
    assert get_engine() is get_engine()


def test_the_api_engine_is_named_for_the_real_api():
    with WithoutbgClient("https://api.withoutbg.com", "key") as client:
        assert ApiEngine(client).name == "withoutbg"


def test_the_local_engine_mattes_offline(settings):
    settings.MATTING_ENGINE = "local"
    engine = get_engine()

    result = engine.matte(PROXY.jpeg)

    assert isinstance(engine, LocalEngine)
    assert engine.name == "local-u2netp"
    assert result.image.mode == "L"
    assert result.image.size == PROXY.size
    assert engine.credits() is None


def test_an_unknown_engine_is_a_configuration_error(settings):
    settings.MATTING_ENGINE = "magic"

    with pytest.raises(ImproperlyConfigured, match="magic"):
        get_engine()
