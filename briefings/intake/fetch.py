"""Fetching pages and feeds on a user's behalf, behind an SSRF guard.

One seam: :class:`Fetcher` wraps an ``httpx.AsyncClient`` whose transport connects only to checked
addresses. The guard lives at the connection layer (an httpcore network backend), so it applies to every
hop of a redirect chain and to the address actually connected to -- not to a separate DNS lookup that
could differ (DNS rebinding). Redirects are followed by hand so each hop's URL is validated too.

Tests swap the resolver (to make a name resolve to 10.0.0.1 without touching that network) and turn on
``allow_loopback`` to reach their 127.0.0.1 servers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import zlib
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urljoin

from briefings.intake import _lean_httpx  # noqa: F401  (before httpx: keeps its CLI's imports out)

import httpcore
import httpx

from briefings.config import Settings, get_settings
from briefings.errors import (
    BlockedURL,
    FetchFailed,
    FetchTimeout,
    InvalidURL,
    TooLarge,
    UnsupportedContent,
)

Resolver = Callable[[str, int], Awaitable[list[str]]]

# Cloud metadata endpoints: never reachable, whatever the settings say.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchFailed(f"could not resolve host {host!r}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allow_loopback: bool = False

    def why_blocked(self, address: str) -> str | None:
        """Return a reason if this IP address may not be connected to, else None."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address!r} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address):
            mapped = ip.ipv4_mapped or ip.sixtofour
            if mapped is not None:
                ip = mapped
        if ip in _METADATA:
            return f"{ip} is a cloud metadata address"
        if ip.is_loopback:
            return None if self.allow_loopback else f"{ip} is a loopback address"
        if ip.is_link_local:
            return f"{ip} is a link-local address"
        if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
            return f"{ip} is not a routable unicast address"
        if ip.is_private or not ip.is_global:
            return None if self.allow_private else f"{ip} is a private address"
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, connects only to a checked one."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None,
                 inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.resolver = resolver or (lambda host, port: system_resolver(host, port))
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        addresses = check_host(host, self.policy) or await self.resolver(host, port)
        if not addresses:
            raise FetchFailed(f"could not resolve host {host!r}")
        for addr in addresses:  # every address the name resolves to must be allowed
            reason = self.policy.why_blocked(addr)
            if reason:
                raise BlockedURL(f"refusing to fetch {host}: it resolves to a blocked address ({reason})")
        last: Exception | None = None
        for addr in addresses:
            try:
                return await self.inner.connect_tcp(addr, port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args, **kwargs):  # pragma: no cover - never used
        raise BlockedURL("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def check_host(host: str, policy: AddressPolicy) -> list[str]:
    """For an IP-literal host return ``[host]`` after checking it; for a name return ``[]``.

    Also rejects names that are loopback by definition (``localhost``) unless loopback is allowed.
    """
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        if bare.lower().rstrip(".") in _LOOPBACK_NAMES and not policy.allow_loopback:
            raise BlockedURL(f"refusing to fetch {host}: it is a loopback address") from None
        return []
    reason = policy.why_blocked(bare)
    if reason:
        raise BlockedURL(f"refusing to fetch {host}: {reason}")
    return [bare]


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool built on :class:`GuardedBackend`."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None, **kwargs):
        # one SSL context, handed to httpx too (it would build and load its own, ~0.7 MB, for the pool it
        # makes and this one replaces); no env proxies: they would bypass the guard
        ssl_context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=ssl_context, trust_env=False, **kwargs)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=kwargs.get("limits", httpx.Limits()).max_connections or 100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(policy, resolver),
        )


def validate_url(url: str) -> httpx.URL:
    """Syntactic checks: absolute http(s) URL with a host. Raises :class:`InvalidURL`."""
    url = (url or "").strip()
    if url.startswith("<") and url.endswith(">"):  # Slack wraps links as <url> or <url|label>
        url = url[1:-1].split("|", 1)[0]
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decodes IDNA: a malformed label (https://xn--/) raises here
    except (httpx.InvalidURL, TypeError, ValueError) as exc:  # UnicodeError (IDNAError) is a ValueError
        raise InvalidURL(f"that is not a valid URL: {url[:200]!r}") from exc
    if parsed.scheme not in ("http", "https"):
        if not parsed.scheme:
            raise InvalidURL(f"that is not a valid URL (no http:// or https://): {url[:200]!r}")
        raise InvalidURL(f"only http and https links can be fetched, not {parsed.scheme}:")
    if not host:
        raise InvalidURL(f"that URL has no host name: {url[:200]!r}")
    if parsed.userinfo:
        raise InvalidURL("links with a user name or password in them are not fetched")
    return parsed


HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/rdf+xml", "application/feed+json", "application/json", "text/rss+xml")


@dataclass
class FetchResult:
    url: str  # final URL after redirects
    status: int
    content_type: str
    charset: str | None
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def text(self) -> str:
        return decode_body(self.content, self.charset)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.I)


def decode_body(content: bytes, charset: str | None) -> str:
    """Decode with the HTTP charset, else the page's <meta charset>, else UTF-8, else a guess."""
    candidates: list[str] = []
    if charset:
        candidates.append(charset)
    m = _META_CHARSET.search(content[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return content.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    return str(best) if best is not None else content.decode("utf-8", "replace")


class _Decoder:
    """Streaming gzip/deflate decoder that never produces more than ``limit`` bytes (no zip bombs)."""

    def __init__(self, encoding: str, limit: int):
        self.limit = limit
        self.total = 0
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
            self._raw_deflate_checked = False
        else:
            raise UnsupportedContent(f"the server used a compression the bot does not accept ({encoding})")
        self._enc = enc

    def feed(self, chunk: bytes) -> bytes:
        if self._z is None:
            out = chunk
        else:
            try:
                if self._enc == "deflate" and not self._raw_deflate_checked:
                    self._raw_deflate_checked = True
                    try:  # some servers send raw deflate without the zlib header
                        probe = zlib.decompressobj(zlib.MAX_WBITS)
                        probe.decompress(chunk[:64])
                    except zlib.error:
                        self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._z.decompress(chunk, self.limit - self.total + 1)
                if self._z.unconsumed_tail:
                    raise TooLarge(self._too_large())
            except zlib.error as exc:
                raise FetchFailed("the page's compressed data is corrupt") from exc
        self.total += len(out)
        if self.total > self.limit:
            raise TooLarge(self._too_large())
        return out

    def _too_large(self) -> str:
        return f"the page is larger than the {self.limit / 1_000_000:g} MB limit"


class Fetcher:
    """Fetch a URL with the SSRF guard, caps and timeouts. Use as an async context manager."""

    def __init__(self, settings: Settings | None = None, *, resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings or get_settings()
        self.policy = AddressPolicy(allow_private=self.settings.allow_private_urls,
                                    allow_loopback=self.settings.allow_loopback_urls)
        timeout = httpx.Timeout(connect=self.settings.fetch_connect_timeout,
                                read=self.settings.fetch_read_timeout,
                                write=self.settings.fetch_read_timeout,
                                pool=self.settings.fetch_connect_timeout)
        self.client = httpx.AsyncClient(
            transport=transport or GuardedTransport(self.policy, resolver),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": self.settings.user_agent,
                     "Accept-Encoding": "gzip, deflate"},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def fetch(self, url: str, *, accept: tuple[str, ...] = HTML_TYPES + TEXT_TYPES,
                    headers: dict[str, str] | None = None, allow_not_modified: bool = False) -> FetchResult:
        """GET ``url``; raise a :class:`~briefings.errors.BriefingError` with a plain message on failure."""
        try:
            async with asyncio.timeout(self.settings.fetch_total_timeout):
                return await self._fetch(url, accept, headers or {}, allow_not_modified)
        except TimeoutError as exc:
            raise FetchTimeout(f"the site took longer than {self.settings.fetch_total_timeout:g} s to answer") from exc

    async def _fetch(self, url: str, accept: tuple[str, ...], headers: dict[str, str],
                     allow_not_modified: bool) -> FetchResult:
        current = validate_url(url)
        check_host(current.host, self.policy)
        redirects: list[str] = []
        for _hop in range(self.settings.fetch_max_redirects + 1):
            try:
                request = self.client.build_request("GET", current, headers=headers)
                response = await self.client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"{current.host} did not answer in time") from exc
            except httpx.ConnectError as exc:
                raise FetchFailed(f"could not connect to {current.host}") from exc
            except (httpx.InvalidURL, ValueError) as exc:
                # httpx works out a redirect's target while receiving the response: a Location such as
                # javascript:, data:, mailto: or a malformed host name fails there, not in validate_url
                raise InvalidURL(f"{current.host} redirected to a link that cannot be fetched") from exc
            except httpx.HTTPError as exc:
                raise FetchFailed(f"could not fetch {current.host}: {type(exc).__name__}") from exc
            try:
                if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                    target = urljoin(str(current), response.headers["location"])
                    redirects.append(target)
                    current = validate_url(target)
                    check_host(current.host, self.policy)
                    continue
                if response.status_code == 304 and allow_not_modified:
                    return FetchResult(str(current), 304, "", None, b"", dict(response.headers), redirects)
                if response.status_code >= 400:
                    raise FetchFailed(_status_message(response.status_code, current.host), response.status_code,
                                      retry_after(response.headers.get("retry-after")))
                if response.status_code >= 300:
                    raise FetchFailed(f"{current.host} answered {response.status_code} without a usable redirect",
                                      response.status_code)
                content_type, charset = _content_type(response.headers.get("content-type", ""))
                if content_type and not _accepted(content_type, accept):
                    raise UnsupportedContent(f"that link is not a web page or text (it is {content_type})")
                content = await self._read_capped(response)
                if not content_type and _looks_binary(content):
                    raise UnsupportedContent("that link is not a web page or text (it looks like a binary file)")
                return FetchResult(str(current), response.status_code, content_type, charset, content,
                                   dict(response.headers), redirects)
            finally:
                await response.aclose()
        raise FetchFailed(f"too many redirects (more than {self.settings.fetch_max_redirects})")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self.settings.fetch_max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"the page is larger than the {limit / 1_000_000:g} MB limit")
        decoder = _Decoder(response.headers.get("content-encoding", ""), limit)
        chunks: list[bytes] = []
        raw_total = 0
        try:
            async for chunk in response.aiter_raw():
                raw_total += len(chunk)
                if raw_total > limit:
                    raise TooLarge(f"the page is larger than the {limit / 1_000_000:g} MB limit")
                chunks.append(decoder.feed(chunk))
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{response.url.host} stopped sending data") from exc
        except httpx.HTTPError as exc:
            raise FetchFailed(f"the connection to {response.url.host} broke off") from exc
        return b"".join(chunks)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _status_message(status: int, host: str) -> str:
    names = {400: "bad request", 401: "needs a login", 403: "access denied", 404: "page not found",
             410: "page gone", 429: "too many requests", 451: "unavailable for legal reasons",
             500: "server error", 502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}
    return f"{host} answered {status} ({names.get(status, 'error')})"


def _content_type(header: str) -> tuple[str, str | None]:
    parts = [p.strip() for p in header.split(";")]
    ctype = parts[0].lower() if parts and parts[0] else ""
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip("\"'") or None
    return ctype, charset


def _accepted(content_type: str, accept: tuple[str, ...]) -> bool:
    return content_type in accept or (content_type.endswith("+xml") and any("xml" in a for a in accept))


def _looks_binary(content: bytes) -> bool:
    head = content[:1024]
    return b"\x00" in head
