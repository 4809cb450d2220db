"""A local HTTP server for the feed fetcher's tests: feeds, article pages and every network fault.

    with FeedServer() as server:
        server.route("/feed.xml", "<rss>...</rss>", etag='"v1"')
        url = server.url("/feed.xml")
        ...
        assert server.requests("/feed.xml")[0].headers["user-agent"].startswith("Sahifa")

Standard library only. Each route answers a fixed body and can add a fault: a delay, bytes that
drip, a request never answered, a gzip bomb. Closing the server (leaving the ``with`` block) ends
every slow handler within a fraction of a second.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import urlsplit

__all__ = ["FeedServer", "Recorded", "gzip_bomb_bytes"]


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it; ``path`` keeps the query, header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Route:
    body: bytes
    status: int
    content_type: str | None
    headers: tuple[tuple[str, str], ...]
    etag: str | None
    last_modified: str | None
    gzipped: bytes | None
    deflated: bytes | None
    redirect: str | None
    delay: float
    drip: float | None
    hang: bool
    bomb: bytes | None


_BOMBS: dict[int, bytes] = {}
_BOMBS_LOCK = threading.Lock()
_ZEROS = bytes(1 << 20)


def gzip_bomb_bytes(size: int) -> bytes:
    """A gzip stream that decompresses to ``size`` zero bytes (about 1 KB per MB; cached per size)."""
    with _BOMBS_LOCK:
        cached = _BOMBS.get(size)
        if cached is None:
            # Z_RLE finds the same runs as the default strategy on zeros, three times faster.
            compressor = zlib.compressobj(9, zlib.DEFLATED, 31, 9, zlib.Z_RLE)
            zeros = memoryview(_ZEROS)
            parts = []
            remaining = size
            while remaining > 0:
                n = min(remaining, len(_ZEROS))
                parts.append(compressor.compress(zeros[:n]))
                remaining -= n
            parts.append(compressor.flush())
            cached = _BOMBS[size] = b"".join(parts)
        return cached


def _compress(body: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(body) + compressor.flush()


def _accepts(accept_encoding: str | None, coding: str) -> bool:
    """Whether an Accept-Encoding value allows ``coding`` (``q=0`` refuses; ``*`` stands for the rest)."""
    qualities: dict[str, float] = {}
    for item in (accept_encoding or "").split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[name] = quality
    if coding in qualities:
        return qualities[coding] > 0
    return qualities.get("*", 0.0) > 0


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match: ``*``, the tag, or the tag in a list."""
    if if_none_match.strip() == "*":
        return True
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in if_none_match.split(","))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FeedServer/1.0"
    disable_nagle_algorithm = True  # small writes (headers, dripped bytes) leave at once
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Silent: no line per request on stderr."""

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        owner = self.server.owner
        owner._record(self.command, self.path, self.headers.items())
        route = owner._lookup(urlsplit(self.path).path)
        if route is None:
            body = f"not found: {self.path}\n".encode()
            self._send(404, [("Content-Type", "text/plain; charset=utf-8")], body, head)
            return
        stopped = owner._stopped
        if route.hang:
            stopped.wait()
            self.close_connection = True
            return
        if route.delay > 0 and stopped.wait(route.delay):
            self.close_connection = True
            return
        extra = list(route.headers)

        if route.redirect is not None:
            self._send(route.status, [("Location", route.redirect), *extra], b"", head)
            return

        validators = []
        if route.etag is not None:
            validators.append(("ETag", route.etag))
        if route.last_modified is not None:
            validators.append(("Last-Modified", route.last_modified))
        if 200 <= route.status < 300 and self._not_modified(route):
            self._send(304, [*validators, *extra], None, head)
            return

        headers = []
        if route.content_type is not None:
            headers.append(("Content-Type", route.content_type))
        headers += validators
        accept_encoding = self.headers.get("Accept-Encoding")
        body = route.body
        if route.bomb is not None:
            body = route.bomb
            headers.append(("Content-Encoding", "gzip"))
        else:
            if route.gzipped is not None or route.deflated is not None:
                headers.append(("Vary", "Accept-Encoding"))
            if route.gzipped is not None and _accepts(accept_encoding, "gzip"):
                body = route.gzipped
                headers.append(("Content-Encoding", "gzip"))
            elif route.deflated is not None and _accepts(accept_encoding, "deflate"):
                body = route.deflated
                headers.append(("Content-Encoding", "deflate"))
        self._send(route.status, [*headers, *extra], body, head, drip=route.drip)

    def _not_modified(self, route: _Route) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return route.etag is not None and _etag_matches(if_none_match, route.etag)
        if_modified_since = self.headers.get("If-Modified-Since")
        return (
            if_modified_since is not None
            and route.last_modified is not None
            and if_modified_since.strip() == route.last_modified
        )

    def _send(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes | None,
        head: bool,
        drip: float | None = None,
    ) -> None:
        """Status, headers and body; ``body=None`` (a 304) sends no Content-Length and no body."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head or not body:
            return
        if drip is None:
            self.wfile.write(body)
            return
        stopped = self.server.owner._stopped
        for i in range(len(body)):
            if stopped.wait(drip):
                self.close_connection = True
                return
            self.wfile.write(body[i : i + 1])


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], owner: FeedServer) -> None:
        self.owner = owner
        self.connections: dict[socket.socket, threading.Thread | None] = {}
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for the host's full name (getfqdn), slow on some machines.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections[request] = None
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        with self.connections_lock:
            if request in self.connections:
                self.connections[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.pop(request, None)

    def handle_error(self, request, client_address) -> None:
        """Quiet about a client gone or a connection cut at close; loud about a bug in the handler."""
        if isinstance(sys.exc_info()[1], OSError) or self.owner._stopped.is_set():
            return
        super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class FeedServer:
    """A threaded HTTP/1.1 server on a free port of ``host``, with routes a test sets.

    ``with FeedServer() as server: server.route("/feed.xml", body, ...); url = server.url("/feed.xml")``
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._routes: dict[str, _Route] = {}
        self._log: list[Recorded] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, 0), self)
        port = self._httpd.server_address[1]
        netloc = f"[{host}]" if ":" in host else host
        self.host = f"{netloc}:{port}"
        """``host:port``, as a Host header or ``http.client.HTTPConnection`` wants it."""
        self.base = f"http://{self.host}"
        """``http://host:port``, no trailing slash."""

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (``"/feed.xml"`` or ``"feed.xml"``) on this server."""
        return self.base + (path if path.startswith("/") else "/" + path)

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "application/rss+xml; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        gzip: bool = False,
        deflate: bool = False,
        redirect: str | None = None,
        delay: float = 0.0,
        drip: float | None = None,
        hang: bool = False,
        gzip_bomb: int | None = None,
    ) -> None:
        """Answer requests for ``path`` (matched without its query); replaces an earlier route.

        - ``headers``: extra response headers (Content-Length and Transfer-Encoding are the server's).
        - ``etag`` / ``last_modified``: sent as ETag / Last-Modified, and a matching If-None-Match
          (or, without one, an equal If-Modified-Since) gets a 304 without a body.
        - ``gzip`` / ``deflate``: compress the body when Accept-Encoding allows it (gzip first).
        - ``redirect``: ``status`` (302 when left at 200) with this Location and an empty body.
        - ``delay``: seconds to wait before answering. ``drip``: after the headers, one byte of the
          body every ``drip`` seconds. ``hang``: never answer. All three end when the server closes.
        - ``gzip_bomb``: a gzip body that decompresses to that many zero bytes, whatever the client
          accepts (``body`` is then unused).
        """
        if not path.startswith("/") or "?" in path:
            raise ValueError(f"route path must start with / and have no query: {path!r}")
        if delay < 0 or (drip is not None and drip <= 0):
            raise ValueError("delay must be >= 0 and drip > 0")
        if gzip_bomb is not None and gzip_bomb < 0:
            raise ValueError("gzip_bomb is a size in bytes, >= 0")
        extra = tuple((headers or {}).items())
        for name, _ in extra:
            if name.lower() in ("content-length", "transfer-encoding"):
                raise ValueError(f"{name} is set by the server, not by a route")
        if redirect is not None and status == 200:
            status = 302
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        new = _Route(
            body=data,
            status=status,
            content_type=content_type if redirect is None else None,
            headers=extra,
            etag=etag,
            last_modified=last_modified,
            gzipped=_compress(data, 31) if gzip else None,
            deflated=_compress(data, 15) if deflate else None,
            redirect=redirect,
            delay=delay,
            drip=drip,
            hang=hang,
            bomb=gzip_bomb_bytes(gzip_bomb) if gzip_bomb is not None else None,
        )
        with self._lock:
            self._routes[path] = new

    def requests(self, path: str | None = None) -> list[Recorded]:
        """Every request received so far, in order; with ``path``, only those for it.

        A ``path`` without ``?`` matches whatever the query; one with ``?`` must match exactly.
        """
        with self._lock:
            log = list(self._log)
        if path is None:
            return log
        if "?" in path:
            return [r for r in log if r.path == path]
        return [r for r in log if urlsplit(r.path).path == path]

    def reset_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._log.clear()

    def start(self) -> FeedServer:
        """Serve on a daemon thread (``with`` does it)."""
        if self._closed:
            raise RuntimeError("a closed FeedServer cannot start again")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FeedServer {self.host}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end slow handlers and cut open connections; returns within about a second."""
        if self._closed:
            return
        self._closed = True
        self._stopped.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(1.0)
        with self._httpd.connections_lock:
            connections = list(self._httpd.connections.items())
        for sock, _ in connections:
            try:
                # Wakes a handler blocked reading a kept-alive connection; the handler closes it.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        deadline = time.monotonic() + 0.5
        for _, thread in connections:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _record(self, method: str, path: str, headers) -> None:
        lowered: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            lowered[key] = f"{lowered[key]}, {value}" if key in lowered else value
        with self._lock:
            self._log.append(Recorded(method, path, lowered))

    def _lookup(self, path: str) -> _Route | None:
        with self._lock:
            return self._routes.get(path)
