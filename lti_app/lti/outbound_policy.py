"""What an outbound fetch may reach, and how a refusal is said: the address policy of
``outbound.py`` (see there for the whole flow).

An address no platform lives at — loopback, private, link-local, multicast, reserved,
unspecified, also inside IPv6 — is refused unless the operator named its host; plain http is
refused in production. Every failure has words for people; the log gets the kind and the host.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l

# NAT64 (RFC 6052) and 6to4 (RFC 3056) carry an IPv4 address inside an IPv6 one: judge that too.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Failure(enum.StrEnum):
    """Why a fetch was refused or failed."""

    BAD_URL = "bad_url"
    NOT_HTTPS = "not_https"
    PRIVATE_ADDRESS = "private_address"
    UNKNOWN_HOST = "unknown_host"
    UNREACHABLE = "unreachable"
    TLS = "tls"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"


_MESSAGES: Mapping[Failure, Any] = {
    Failure.BAD_URL: _l("the address is not a web address (http or https)"),
    Failure.NOT_HTTPS: _l("the address must use https"),
    Failure.PRIVATE_ADDRESS: _l("the address points to a private network"),
    Failure.UNKNOWN_HOST: _l("the address's server name does not exist"),
    Failure.UNREACHABLE: _l("the platform could not be reached"),
    Failure.TLS: _l("the platform's security certificate is not valid"),
    Failure.TIMEOUT: _l("the platform did not answer in time"),
    Failure.TOO_LARGE: _l("the answer was too large"),
    Failure.TOO_MANY_REDIRECTS: _l("the platform redirected too many times"),
}
NOT_JSON = _l("the answer was not valid JSON")


def http_status_message(status: int) -> Any:
    """Words for an answer with an unexpected HTTP status (the body is never shown)."""
    return _l("the platform answered with HTTP status %(status)s", status=status)


class OutboundError(requests.RequestException):
    """A fetch that was refused or failed. ``str()`` is for the log; ``message`` for people."""

    def __init__(self, failure: Failure, host: str, detail: str = ""):
        super().__init__(f"{failure.value} ({host or '?'}{': ' + detail if detail else ''})")
        self.failure = failure
        self.host = host

    @property
    def message(self) -> Any:
        return _MESSAGES[self.failure]


class _Refused(Exception):
    """Raised inside urllib3, which lets anything but its own and socket errors through."""

    def __init__(self, failure: Failure, detail: str = ""):
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


def forbidden_address(address: str) -> bool:
    """Whether an address is one no platform lives at: loopback, private, link-local, …"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return forbidden_address(str(ip.ipv4_mapped))
        if ip in _NAT64:  # judged by the IPv4 address a DNS64 resolver put in it
            return forbidden_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None and forbidden_address(str(ip.sixtofour)):
            return True
        if ip.is_site_local:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class Policy:
    """What one session may fetch and how long and how much it may take."""

    require_https: bool
    private_hosts: frozenset[str]
    total_seconds: float
    connect_seconds: float
    max_bytes: int

    def allows_private(self, host: str) -> bool:
        return normal_host(host) in self.private_hosts

    def check_url(self, url: str) -> str:
        """The URL's host, if the URL may be fetched as far as can be told without DNS.

        :raise OutboundError: not http(s), no host, plain http in production, or a literal
            address that is forbidden.
        """
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 - raises ValueError for a port that is no number
        except ValueError:
            raise OutboundError(Failure.BAD_URL, "", "unparsable URL") from None
        if parts.scheme not in ("http", "https") or not host:
            raise OutboundError(Failure.BAD_URL, host, f"scheme {parts.scheme[:10]!r}")
        if self.require_https and parts.scheme != "https":
            raise OutboundError(Failure.NOT_HTTPS, host)
        if not self.allows_private(host):
            try:
                ipaddress.ip_address(host)
            except ValueError:
                return host  # a name: judged by what it resolves to, when connecting
            if forbidden_address(host):
                raise OutboundError(Failure.PRIVATE_ADDRESS, host)
        return host

    def resolve(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """The addresses to connect to, every one of them checked.

        :raise _Refused: the name does not resolve, or resolves to a forbidden address.
        """
        try:
            found = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise _Refused(Failure.UNKNOWN_HOST) from None
        found = [a for a in found if a[0] in (socket.AF_INET, socket.AF_INET6)]
        if not found:
            raise _Refused(Failure.UNKNOWN_HOST)
        if not self.allows_private(host):
            bad = [str(a[4][0]) for a in found if forbidden_address(str(a[4][0]))]
            if bad:
                raise _Refused(Failure.PRIVATE_ADDRESS, f"resolves to {bad[0]}")
        return found
