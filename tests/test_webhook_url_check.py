import ipaddress

import pytest

from cutouts.lib.safe_urls import AddressPolicy, UrlRefused, check_url
from cutouts.teamapi.webhooks import WebhookUrlRefused, webhook_url_check


@pytest.fixture(autouse=True)
def _production_rules(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    settings.WEBHOOK_ALLOWED_HOSTS = []
    settings.WEBHOOK_URL_MAX_LENGTH = 2000


def resolving_to(*addresses: str):
    def resolver(host: str, port: int):
        return [ipaddress.ip_address(address) for address in addresses]

    return resolver


def test_a_public_address_is_accepted_as_given():
    url = "https://93.184.215.14:8443/hooks?team=1"
    assert webhook_url_check(url) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://93.184.215.14/hook", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("/relative/hook", "http:// or https://"),
        ("https://", "no host"),
        ("https://user:secret@93.184.215.14/", "user name or password"),
        ("https://93.184.215.14:99999/", "not a valid URL"),
        ("https://93.184.215.14/a b", "spaces"),
        ("", "empty"),
    ],
)
def test_malformed_urls_are_refused_with_a_reason(url, words):
    with pytest.raises(WebhookUrlRefused, match=words):
        webhook_url_check(url)


def test_a_url_longer_than_the_limit_is_refused():
    url = "https://93.184.215.14/" + "a" * 2000
    with pytest.raises(WebhookUrlRefused, match="longer than 2000"):
        webhook_url_check(url)


@pytest.mark.parametrize(
    ("host", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("[::1]", "loopback"),
        ("2130706433", "loopback"),  # 127.0.0.1 written as one number
        ("10.0.0.5", "private"),
        ("192.168.1.1", "private"),
        ("172.16.0.1", "private"),
        ("[fc00::1]", "private"),
        ("169.254.169.254", "link-local"),
        ("[fe80::1]", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "non-public"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:10.0.0.1]", "private"),
        ("[2002:a00:1::]", "private"),  # 6to4 around 10.0.0.1
    ],
)
def test_addresses_that_are_not_public_are_refused(host, kind):
    with pytest.raises(WebhookUrlRefused, match=kind):
        webhook_url_check(f"http://{host}/hook")


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(WebhookUrlRefused, match="does not resolve"):
        webhook_url_check("https://no-such-host.invalid/hook")


def test_loopback_is_accepted_while_debug_is_on(settings):
    settings.DEBUG = True
    assert webhook_url_check("http://127.0.0.1:8310/hook") == "http://127.0.0.1:8310/hook"
    with pytest.raises(WebhookUrlRefused, match="private"):
        webhook_url_check("http://10.0.0.5/hook")


def test_allowed_networks_open_exactly_those_addresses(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.1.0.0/16", "127.0.0.1/32"]
    assert webhook_url_check("http://10.1.2.3/hook") == "http://10.1.2.3/hook"
    assert webhook_url_check("http://127.0.0.1:8310/") == "http://127.0.0.1:8310/"
    with pytest.raises(WebhookUrlRefused, match="private"):
        webhook_url_check("http://10.2.0.1/hook")
    with pytest.raises(WebhookUrlRefused, match="loopback"):
        webhook_url_check("http://127.0.0.2/hook")


def test_allowed_hosts_limit_the_names():
    policy = AddressPolicy(allowed_hosts=("hooks.example.com", ".example.org"))
    public = resolving_to("93.184.215.14")
    for url in ["https://hooks.example.com/", "https://example.org/", "https://a.b.example.org/"]:
        assert check_url(url, policy=policy, max_length=2000, resolver=public).url == url
    for url in ["https://example.com/", "https://evil-example.org/", "https://93.184.215.14/"]:
        with pytest.raises(UrlRefused, match="not among the allowed"):
            check_url(url, policy=policy, max_length=2000, resolver=public)


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    mixed = resolving_to("93.184.215.14", "10.0.0.1")
    with pytest.raises(UrlRefused, match="private"):
        check_url(
            "https://hooks.example.com/", policy=AddressPolicy(), max_length=2000, resolver=mixed
        )


def test_the_checked_url_carries_the_addresses_to_connect_to():
    checked = check_url(
        "https://Hooks.Example.com./x",
        policy=AddressPolicy(),
        max_length=2000,
        resolver=resolving_to("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    )
    assert checked.host == "hooks.example.com"
    assert checked.port == 443
    assert [str(a) for a in checked.addresses] == [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]
