"""Whether a URL given by a user may be called from our servers (webhooks), and at which address.

A URL is checked twice: when it is given (to answer 400 at once) and just before each call,
where the caller connects to one of the addresses returned here rather than resolving the
name again, so DNS cannot point the name elsewhere between the check and the connection.
Every address a name resolves to must be allowed: one private address among public ones is
enough to refuse it, since the HTTP client could pick any of them.
"""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[IPAddress]]

# IPv6 ranges that carry an IPv4 address a gateway will forward to (NAT64, RFC 6052 and 8215).
_NAT64_NETWORKS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)


class UrlRefused(Exception):
    """The URL may not be called; str() is a message fit for the person who gave it."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts and addresses may be called; the default allows public addresses only."""

    allow_loopback: bool = False  # for development (DEBUG), where receivers run locally
    allowed_networks: tuple[IPNetwork, ...] = ()  # allowed whatever their kind
    # Empty: any host. Otherwise exact names, or ".example.com" for it and its subdomains.
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    scheme: str
    host: str  # lower case, ASCII (IDNA), no brackets, no trailing dot
    port: int
    addresses: tuple[IPAddress, ...] = field(default=())


def parse_networks(values: Sequence[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings ("127.0.0.1/32", "10.1.0.0/16") as networks; ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"{value!r} is not an address or network (CIDR): {error}") from None
    return tuple(networks)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for host, in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def check_url(
    url: str,
    *,
    policy: AddressPolicy,
    max_length: int,
    resolver: Resolver = resolve,
    label: str = "URL",
) -> CheckedUrl:
    """The parsed URL with the addresses to connect to, or UrlRefused saying why not."""
    parsed = parse_url(url, max_length=max_length, label=label)
    if policy.allowed_hosts and not host_allowed(parsed.host, policy.allowed_hosts):
        raise UrlRefused(f"The {label}'s host {parsed.host} is not among the allowed hosts.")
    try:
        addresses = resolver(parsed.host, parsed.port)
    except (OSError, UnicodeError):
        raise UrlRefused(f"The {label}'s host {parsed.host} does not resolve.") from None
    if not addresses:
        raise UrlRefused(f"The {label}'s host {parsed.host} does not resolve.")
    for address in addresses:
        reason = address_refusal(address, policy)
        if reason:
            raise UrlRefused(
                f"The {label}'s host {parsed.host} resolves to {reason}; "
                "webhooks may only be sent to public addresses."
            )
    return CheckedUrl(parsed.url, parsed.scheme, parsed.host, parsed.port, tuple(addresses))


def parse_url(url: str, *, max_length: int, label: str = "URL") -> CheckedUrl:
    """The URL's scheme, host and port, without resolving it; UrlRefused if malformed."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused(f"The {label} is empty.")
    if len(url) > max_length:
        raise UrlRefused(f"The {label} is longer than {max_length} characters.")
    if any(ord(char) <= 32 or ord(char) == 127 for char in url):
        raise UrlRefused(f"The {label} contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused(f"The {label} is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused(f"The {label} must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(f"The {label} may not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused(f"The {label} has no host.")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UrlRefused(f"The {label}'s host is not a valid host name.") from None
    return CheckedUrl(url, scheme, host, port or (443 if scheme == "https" else 80))


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """Django's ALLOWED_HOSTS rule: "name" exactly, ".name" for name and its subdomains."""
    for pattern in allowed_hosts:
        pattern = pattern.strip().lower().rstrip(".")
        if pattern.startswith("."):
            if host == pattern[1:] or host.endswith(pattern):
                return True
        elif host == pattern:
            return True
    return False


def address_refusal(address: IPAddress, policy: AddressPolicy) -> str | None:
    """None when the address may be called, else what kind of address it is."""
    if any(address.version == net.version and address in net for net in policy.allowed_networks):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # ::ffff:127.0.0.1 reaches 127.0.0.1: judge the IPv4 address it carries.
            return address_refusal(embedded, policy)
    if address.is_loopback:
        return None if policy.allow_loopback else f"a loopback address ({address})"
    if address.is_unspecified:
        return f"an unspecified address ({address})"
    if address.is_link_local:
        return f"a link-local address ({address})"
    if address.is_multicast:
        return f"a multicast address ({address})"
    if address.is_private:
        return f"a private address ({address})"
    if address.is_reserved or not address.is_global:
        # 100.64.0.0/10 (shared, carrier NAT) is neither private nor global.
        return f"a reserved or non-public address ({address})"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
