"""Outbound HTTP to addresses that users typed (the robot channels): never into this server or its intranet.

An address a user saves is checked on its host name against an allow-list (`host_allowed`); that is not
enough on its own, since a public-looking name may resolve to 127.0.0.1 or 169.254.169.254, or answer a
public address when checked and a private one a moment later (DNS rebinding). So the check that matters is
made at the connection: `session()` gives a requests session whose connections resolve the host once, refuse
it if any of its addresses is not a public one (loopback, private, link-local — the cloud metadata services
at 169.254.169.254 and Alibaba Cloud's 100.100.100.200 —, shared, multicast, reserved, unspecified; IPv4 and
IPv6, IPv4-mapped and NAT64/6to4 addresses judged by the IPv4 address inside), and then connect to that vetted
address itself — not to the name, which could resolve again — keeping the name for the Host header, TLS SNI
and the certificate's check. The connected socket's peer is checked again.

Hosts the operator trusts (`trusted`: an intranet proxy, the tests' stand-ins) may be at any address.
The session follows no redirects by itself (callers pass `allow_redirects=False` too) and ignores the
environment's proxies and .netrc (`trust_env = False`): a forward proxy would make the connection for us, to
wherever the address points.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Iterable

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The address is not one this server may connect to. Deliberately not an OSError (nor a requests
    exception, which is one): urllib3 would take it for a network error, retry and wrap it."""

    def __init__(self, host: str):
        super().__init__(f"connection to {host} refused: not a public address")
        self.host = host


def is_public(address: str) -> bool:
    """Whether an IP address is a public (global unicast) one: a robot service can be there, this server and
    its intranet cannot."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(str(embedded))
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
    )


def _entry(value: str) -> tuple[str, int | None]:
    """An allow-list entry, "host" (any port) or "host:port" ("[::1]:8080" for IPv6), as (host, port)."""
    value = value.strip().lower()
    if value.count(":") > 1 and not value.startswith("["):  # a bare IPv6 address
        return value, None
    parts = urllib.parse.urlsplit(f"//{value}")
    return (parts.hostname or "").rstrip("."), parts.port


def address_of(url: str) -> tuple[str, int | None]:
    """(host, port) of an http(s) URL, the port filled in from the scheme; ("", None) if it has no host."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # an unreadable host ("[::1"), or a port that is no number
        return "", None
    return (parts.hostname or "").rstrip("."), port


def host_allowed(host: str, port: int | None, allowed: Iterable[str]) -> bool:
    """Whether (host, port) matches an entry of `allowed` ("host" or "host:port"; case does not matter)."""
    host = host.lower().strip("[]").rstrip(".")
    for value in allowed:
        entry_host, entry_port = _entry(value)
        if entry_host and entry_host.strip("[]") == host and entry_port in (None, port):
            return True
    return False


def _guarded(base: type[HTTPConnection], trusted: tuple[str, ...]) -> type[HTTPConnection]:
    class GuardedConnection(base):
        def _new_conn(self) -> socket.socket:
            name = self._dns_host
            is_trusted = host_allowed(self.host, self.port, trusted)
            try:
                found = socket.getaddrinfo(name, self.port, 0, socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise NameResolutionError(self.host, self, exc) from exc
            addresses = list(dict.fromkeys(info[4][0] for info in found))
            if not is_trusted and not all(is_public(a) for a in addresses):
                raise AddressRefused(self.host)
            error: Exception | None = None
            for address in addresses:
                # Connect to the vetted address itself, never to the name (it could resolve elsewhere now).
                # `host` is read from `_dns_host`: it is put back before TLS, so SNI and the Host header keep
                # the name.
                self._dns_host = address
                try:
                    sock = super()._new_conn()
                except (NewConnectionError, ConnectTimeoutError) as exc:
                    error = exc
                    continue
                finally:
                    self._dns_host = name
                if not is_trusted and not is_public(sock.getpeername()[0]):
                    sock.close()
                    raise AddressRefused(self.host)
                return sock
            raise error or NewConnectionError(self, "no address to connect to")

    return GuardedConnection


class GuardedAdapter(HTTPAdapter):
    """A requests transport whose connections go only to public addresses, or to the `trusted` hosts."""

    def __init__(self, trusted: Iterable[str] = (), **kwargs):
        self.trusted = tuple(trusted)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": _guarded(HTTPConnection, self.trusted)})
        https = type(
            "GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": _guarded(HTTPSConnection, self.trusted)}
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise AddressRefused(urllib.parse.urlsplit(proxy).hostname or proxy)  # a proxy would connect for us


def session(*, trusted: Iterable[str] = ()) -> requests.Session:
    """A requests session for addresses users gave: public addresses only, or the `trusted` hosts; no proxies
    from the environment, no .netrc. Pass `allow_redirects=False` to its requests."""
    s = requests.Session()
    s.trust_env = False
    adapter = GuardedAdapter(trusted)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s
