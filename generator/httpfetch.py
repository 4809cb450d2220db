"""HTTP for the feed fetcher: polite, bounded, concurrent GETs through httpx.

One ``Fetcher`` per ``fetch`` run (an async context manager). ``get`` answers one URL:

- conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the stored validators);
- ``Accept-Encoding: gzip, deflate``, decoded here from the raw stream with a cap on the
  *decoded* size, so a gzip bomb stops at ``max_bytes`` instead of filling the memory;
- redirects followed by hand, at most ``max_redirects``, loops refused; when every hop was
  permanent (301/308) the answer says where the address moved (``moved_to``) so that the
  subscription can be updated;
- a connect and a read timeout, plus a deadline for the whole answer (a host that drips one
  byte a second never trips a read timeout);
- per host (scheme, name and port): at most ``per_host`` requests at once and ``host_delay``
  seconds between two starts; ``concurrency`` connections in all, so one slow host holds only
  its own slots;
- robots.txt honoured per host (protego), read once per run: a 4xx means no rules, an
  unreachable robots.txt (5xx, timeout) means "do not fetch" for this run (RFC 9309);
- a User-Agent naming Sahifa and the site.

Every failure is a ``FetchError`` with a one-line reason; nothing here writes anything.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import __version__

REDIRECTS = {301, 302, 303, 307, 308}
PERMANENT = {301, 308}
ROBOTS_MAX_BYTES = 512_000


class FetchError(Exception):
    """One request failed; ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpSettings:
    """How politely and how far the fetcher goes (``[fetch]`` in site.toml)."""

    user_agent: str = f"Sahifa/{__version__}"
    concurrency: int = 32
    per_host: int = 2
    host_delay: float = 0.5
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    robots: bool = True


@dataclass(frozen=True)
class Answer:
    """What a GET brought back. ``status`` 304: not modified (empty ``body``)."""

    url: str
    """The address that answered (after redirects)."""
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    moved_to: str | None = None
    """Set when every redirect on the way was permanent: the requested URL's new address."""

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _check_public(url: str, feed_url: str) -> None:
    import ipaddress

    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    if host_key(url) == host_key(feed_url):
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise FetchError(f"refusing {url[:80]}: a local address")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return  # a name (resolved by the system's resolver; not checked here)
    if not address.is_global:
        raise FetchError(f"refusing {url[:80]}: a private, loopback or link-local address")


def host_key(url: str) -> str:
    """``scheme://host:port`` of ``url``: the unit of politeness and of robots.txt."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


@dataclass
class _Host:
    slots: asyncio.Semaphore
    last_start: float = 0.0
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    robots: Any = None
    robots_error: str | None = None
    robots_read: asyncio.Future | None = None


class Fetcher:
    """``async with Fetcher(settings) as f: answer = await f.get(url, etag=...)``.

    ``transport``: an ``httpx.AsyncBaseTransport`` to answer instead of the network (the
    demo's fixture feeds, tests)."""

    def __init__(self, settings: HttpSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._hosts: dict[str, _Host] = {}
        self._client: httpx.AsyncClient | None = None
        self._connections: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        # A request starts (and its deadline runs) only once it has a connection of its own:
        # queueing for one of the ``concurrency`` connections is not the host's slowness.
        self._connections = asyncio.Semaphore(s.concurrency)
        self._client = httpx.AsyncClient(
            transport=self._transport,
            follow_redirects=False,
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout, pool=None),
            limits=httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(asyncio.Semaphore(self.settings.per_host))
        return host

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        max_bytes: int | None = None,
        robots: bool = True,
        public_only: str | None = None,
    ) -> Answer:
        """GET ``url`` (see the module); ``FetchError`` when it cannot be had.

        ``public_only`` (the feed's URL, for the pages its items link to): an address that is
        a loopback, private or link-local IP or ``localhost`` is refused, at every redirect
        too, unless it is the feed's own host: a feed cannot send the fetcher into the
        newsroom's network (cloud metadata, intranet pages).
        """
        try:
            return await self._get(url, etag, last_modified, accept, max_bytes, robots, public_only)
        except (ValueError, httpx.InvalidURL) as exc:  # a port out of range, a broken host...
            raise FetchError(f"not a usable address ({str(exc)[:120]})") from None

    async def _get(self, url, etag, last_modified, accept, max_bytes, robots, public_only) -> Answer:
        limit = max_bytes or self.settings.max_bytes
        if public_only is not None:
            _check_public(url, public_only)
        if robots and self.settings.robots and not await self.allowed(url):
            raise FetchError("robots.txt of the host disallows it")
        seen = [url]
        permanent = True
        current = url
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        # The deadline runs per request (in _one), from when its host's slot is free.
        while True:
            status, got, body = await self._one(current, headers, limit)
            if status in REDIRECTS:
                location = got.get("location")
                if not location:
                    raise FetchError(f"redirect ({status}) without a Location", status)
                target = urllib.parse.urljoin(current, location.strip())
                if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(f"redirect to a non-http address {target[:80]!r}", status)
                if target in seen:
                    raise FetchError(f"redirect loop ({' -> '.join(seen[-3:])} -> {target})", status)
                if len(seen) > self.settings.max_redirects:
                    raise FetchError(f"more than {self.settings.max_redirects} redirects", status)
                permanent = permanent and status in PERMANENT
                seen.append(target)
                current = target
                if public_only is not None:
                    _check_public(current, public_only)
                if robots and self.settings.robots and not await self.allowed(current):
                    raise FetchError(f"redirected to {current[:80]}, which robots.txt disallows")
                continue
            if status == 304:
                pass
            elif status >= 400:
                raise FetchError(f"HTTP {status}", status)
            elif not 200 <= status < 300:
                raise FetchError(f"unexpected HTTP status {status}", status)
            moved = current if permanent and current != url else None
            return Answer(current, status, got, body, moved)

    async def _one(self, url: str, headers: dict[str, str], limit: int) -> tuple[int, dict[str, str], bytes]:
        """One request, no redirects: (status, lower-cased headers, decoded body)."""
        assert self._client is not None
        host = self._host(url)
        async with host.slots, self._connections:
            async with host.gate:  # spaced starts: host_delay between two requests to a host
                wait = host.last_start + self.settings.host_delay - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                host.last_start = time.monotonic()
            try:
                async with (
                    asyncio.timeout(self.settings.deadline),
                    self._client.stream("GET", url, headers=headers) as response,
                ):
                    got = {k.lower(): v for k, v in response.headers.items()}
                    status = response.status_code
                    if status in REDIRECTS or status == 304 or status >= 400:
                        return status, got, b""
                    declared = got.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise FetchError(
                            f"the answer is {int(declared):,} bytes, over the {limit:,}-byte cap"
                        )
                    body = await _read_body(response, got.get("content-encoding", ""), limit)
                    return status, got, body
            except TimeoutError:
                raise FetchError(
                    f"no complete answer within {self.settings.deadline:g} s (the host is too slow)"
                ) from None
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out ({type(exc).__name__})") from None
            except httpx.TooManyRedirects:  # pragma: no cover - redirects are followed by hand
                raise FetchError("too many redirects") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc}"[:300]) from None

    async def allowed(self, url: str) -> bool:
        """robots.txt of ``url``'s host lets Sahifa fetch it (read once per host per run)."""
        host = self._host(url)
        if host.robots_read is None:
            host.robots_read = asyncio.ensure_future(self._read_robots(url, host))
        await asyncio.shield(host.robots_read)
        if host.robots_error is not None:
            raise FetchError(host.robots_error)
        if host.robots is None:
            return True
        return bool(host.robots.can_fetch(url, self.settings.user_agent))

    async def _read_robots(self, url: str, host: _Host) -> None:
        from protego import Protego

        parts = urllib.parse.urlsplit(url)
        robots_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        try:
            answer = await self.get(robots_url, accept="text/plain", max_bytes=ROBOTS_MAX_BYTES, robots=False)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return  # no robots.txt: no rules
            host.robots_error = f"robots.txt cannot be read ({exc}); the host is not fetched this run"
            return
        text = answer.body.decode("utf-8", errors="replace")
        try:
            host.robots = Protego.parse(text)
        except Exception:  # noqa: BLE001 - a robots.txt Protego cannot read has no usable rules
            host.robots = None


async def _read_body(response: httpx.Response, encoding: str, limit: int) -> bytes:
    """The body, decoded from gzip or deflate here, never more than ``limit`` bytes decoded."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        decoder: Any = zlib.decompressobj(wbits=47)
    elif encoding == "deflate":
        decoder = _Deflate()
    elif encoding in ("", "identity"):
        decoder = None
    else:
        raise FetchError(f"unsupported Content-Encoding {encoding[:40]!r}")
    over = FetchError(f"the answer is over the {limit:,}-byte cap (decoded)")
    if response.is_stream_consumed:  # a transport that answered from memory (fixtures)
        if len(response.content) > limit:
            raise over
        return response.content
    out = bytearray()
    try:
        async for chunk in response.aiter_raw():
            if decoder is None:
                out += chunk
            else:
                data = decoder.decompress(chunk, limit + 1 - len(out))
                out += data
                while decoder.unconsumed_tail and len(out) <= limit:
                    out += decoder.decompress(decoder.unconsumed_tail, limit + 1 - len(out))
            if len(out) > limit:
                raise over
        if decoder is not None:
            out += decoder.flush()
    except zlib.error as exc:
        raise FetchError(f"the {encoding} body is corrupt ({exc})") from None
    if len(out) > limit:
        raise over
    return bytes(out)


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped (the standard) or raw (common)."""

    def __init__(self) -> None:
        self._inner: Any = None
        self.unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            self._inner = zlib.decompressobj(15 if data[:1] and (data[0] & 0x0F) == 8 else -15)
        result = self._inner.decompress(data, max_length)
        self.unconsumed_tail = self._inner.unconsumed_tail
        return result

    def flush(self) -> bytes:
        return self._inner.flush() if self._inner is not None else b""


FIXTURE_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def folder_transport(folder) -> httpx.MockTransport:
    """Answers from files instead of the network (``fetch --from-fixtures``): the URL
    ``https://host/a/b.xml`` is the file ``<folder>/host/a/b.xml``, a URL ending in ``/`` its
    ``index.html``; a missing file is a 404. Each answer has an ETag (the file's digest) and
    honours ``If-None-Match``, so a second run is conditional, as against a real server."""
    import hashlib
    from pathlib import Path

    root = Path(folder).resolve()

    def answer(request: httpx.Request) -> httpx.Response:
        path = urllib.parse.unquote(request.url.path)
        if path.endswith("/"):
            path += "index.html"
        target = (root / request.url.host / path.lstrip("/")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return httpx.Response(404, text="not found")
        body = target.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Content-Type": FIXTURE_TYPES.get(target.suffix, "application/octet-stream")}
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, headers=headers, content=body)

    return httpx.MockTransport(answer)
