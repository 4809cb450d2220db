"""Serve, part three: the HTTP side. Build, then preview the site on 127.0.0.1 with live reload.

The preview has three parts, each a module with one job:

- ``changes``: what a changed path is (an article, a static file, anything else);
- ``scheduler``: when to build what, one command at a time; it owns the preview's state (the
  pending saves, the last error, the problems of the last build);
- this module: the file watcher (``watchdog``: inotify on Linux), the HTTP server (tornado,
  with ``livereload``'s client script and WebSocket handler, subclassed, never patched) and
  the process's lifetime.

The builds run in a process of their own (``builder``): this process is threaded and never
forks. It serves only files under the output folder, which is the preview's own
(``ROOT/.sahifa-preview`` by default), never the deployable ``public/``. A failed rebuild
keeps the last good site, prints the error and shows it on every page; the next save that
fixes it recovers.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cache import CACHE_DIR_NAME
from .changes import classify
from .config import SiteConfig, load_config
from .errors import SahifaError
from .live import ERROR_PAGE
from .report import terminal_safe
from .scheduler import Scheduler, Status
from .write import check_output_dir

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

_BODY_TAG = re.compile(rb"<body[^>]*>", re.I)


def preview_handler(out_dir: Path, status: Status, allowed_hosts: frozenset[str] = LOOPBACK):
    """livereload's static file handler with these additions, made for one server (no globals).

    - Only requests addressed to this preview are answered (``Host``; see ``prepare``).
    - Nothing that resolves outside the output folder is served: ``..`` and encoded forms are
      refused by tornado already; this also refuses links inside the output folder that
      point outside it, whatever the tornado version.
    - While the last rebuild has failed, every HTML page gets a banner with the error at the
      top of its body (the page itself is still the last good build).
    - A missing path answers 404 with the site's own 404 page (``write_error``).
    """
    from livereload.handlers import StaticFileHandler
    from tornado.web import HTTPError

    real_root = os.path.realpath(out_dir)

    class PreviewFileHandler(StaticFileHandler):
        def prepare(self) -> None:
            """Only requests addressed to this preview: a page on another site that resolves
            its own name to 127.0.0.1 (DNS rebinding) sends its own name as ``Host`` and is
            refused, so it cannot read unpublished pages. No NUL in a path."""
            if not _host_allowed(self.request.host, allowed_hosts):
                raise HTTPError(403, "this preview answers only to " + ", ".join(sorted(allowed_hosts)))
            if "\x00" in self.request.path or "%00" in self.request.path:
                raise HTTPError(400, "bad path")

        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            path = super().validate_absolute_path(root, absolute_path)
            if path is not None:
                real = os.path.realpath(path)
                if real != real_root and not real.startswith(real_root + os.sep):
                    raise HTTPError(403, "outside the output folder")
                self._take(path)
            return path

        def _take(self, path: str) -> None:
            """Read the file once for this request: its length, its time and the bytes sent
            are then those of one file. (Tornado asks the path for each; a rebuild that
            replaces the page in between, as a preview's do all the time, made a response
            whose Content-Length was the old file's and whose bytes were the new one's.)"""
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
                    self._stat_result = os.fstat(fh.fileno())
            except FileNotFoundError:
                raise HTTPError(404) from None
            banner = self._banner(path)
            if banner is not None:
                data = self._banner_into(data, banner)
            self._snapshot = data
            # ``get`` asks ``self.get_content``: this request's bytes, not the path's again.
            self.get_content = lambda abspath, start=None, end=None: data[start:end]

        @staticmethod
        def _banner(abspath: str) -> bytes | None:
            if status.last_error is None or not abspath.endswith((".html", ".htm")):
                return None
            if os.path.basename(abspath) == ERROR_PAGE:
                return None
            return _alert(
                "<strong>Sahifa: the last rebuild failed; this is the last good build.</strong>\n"
                + html.escape(status.last_error)
            )

        @staticmethod
        def _banner_into(data: bytes, banner: bytes) -> bytes:
            match = _BODY_TAG.search(data)
            at = match.end() if match else 0
            return data[:at] + banner + data[at:]

        def compute_etag(self) -> str:
            """Of the bytes this request sends (tornado's reads the path again: a page a
            rebuild replaced in between got the tag of other bytes than it sent)."""
            return f'"{hashlib.blake2b(self._snapshot, digest_size=16).hexdigest()}"'

        def write_error(self, status_code: int, **kwargs) -> None:
            """A missing path gets the site's own 404 page (the language's, by the path's
            first segment, else the root's), with status 404 and the live-reload script, so
            a tab left on a deleted page comes back when the page does."""
            page = self._not_found_page() if status_code == 404 else None
            if page is None:
                super().write_error(status_code, **kwargs)
                return
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Cache-Control", "no-store")
            if status.problems:
                match = _BODY_TAG.search(page)
                at = match.end() if match else 0
                page = page[:at] + _problems_banner(status.problems) + page[at:]
            self.finish(page)

        def _not_found_page(self) -> bytes | None:
            from urllib.parse import unquote

            first = unquote(self.request.path).lstrip("/").split("/", 1)[0]
            for rel in (f"{first}/404.html" if first and "." not in first else None, "404.html"):
                if rel is None:
                    continue
                candidate = os.path.realpath(os.path.join(real_root, rel))
                if candidate.startswith(real_root + os.sep) and os.path.isfile(candidate):
                    with open(candidate, "rb") as fh:
                        return fh.read()
            return None

        def get_content_size(self) -> int:
            return len(self._snapshot)

    return PreviewFileHandler


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    host = (host or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return "*" in allowed or name.strip("[]") in allowed


class _EscapeFilter:
    """Log records of livereload and tornado quote what clients send (URLs, a WebSocket's
    ``info`` message): shown with control characters escaped, never raw."""

    @staticmethod
    def filter(record) -> bool:
        record.msg = terminal_safe(record.getMessage())
        record.args = ()
        return True


def _escape_library_logs() -> None:
    import logging

    for name in ("livereload", "tornado.access", "tornado.application", "tornado.general"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _EscapeFilter) for f in logger.filters):
            logger.addFilter(_EscapeFilter())


def _problems_banner(problems: list[str]) -> bytes:
    """What the last build skipped, on the page a reader of the preview lands on when their
    article is missing (a YAML typo makes it a 404): the file, the field and the reason."""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems[:20])
    more = f"<li>... and {len(problems) - 20} more</li>" if len(problems) > 20 else ""
    return _alert(
        "<strong>Sahifa: the last build skipped these files; this page may be one of them. "
        f"Fix the file and save: this page reloads.</strong><ul>{items}{more}</ul>"
    )


def _alert(inner_html: str) -> bytes:
    """The preview's own notice at the top of a page (English, left to right, whatever the page)."""
    return (
        '<div role="alert" dir="ltr" lang="en" style="background:#fee;color:#600;'
        'border:2px solid #c00;padding:1em;font-family:monospace;white-space:pre-wrap">'
        f"{inner_html}</div>"
    ).encode("utf-8")


def watched_paths(config: SiteConfig, config_path: Path | None = None) -> list[Path]:
    return [*config.input_dirs, config_path or config.root / "site.toml"]


def start_watching(paths: list[Path], changed):
    """A ``watchdog`` observer (inotify on Linux) that calls ``changed(path)`` from its own
    thread for every path of every event under ``paths``."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            if event.is_directory and event.event_type == "modified":
                return  # a file in it changed: that file has its own event
            for attr in ("src_path", "dest_path"):
                path = getattr(event, attr, "")
                if path:
                    changed(Path(os.fsdecode(path)))

    handler = Handler()

    def start(observer):
        watched: set[Path] = set()
        for path in paths:
            folder = path if path.is_dir() else path.parent
            if folder.exists() and folder not in watched:
                watched.add(folder)
                observer.schedule(handler, str(folder), recursive=path.is_dir())
        observer.daemon = True
        observer.start()
        return observer

    try:
        observer = start(Observer())
    except OSError as exc:  # e.g. the inotify watch limit: poll instead, every 0.1 s
        print(f"warning: file events unavailable ({exc}); polling for changes", file=sys.stderr)
        observer = start(PollingObserver(timeout=0.1))
    return observer


class _Timers:
    """The scheduler's timers on tornado's event loop; its builder commands in one thread."""

    def __init__(self, loop) -> None:
        self.loop = loop
        self.pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="sahifa-build-wait"
        )  # a command, and a refresh beside it

    def call_later(self, delay, callback):
        return self.loop.call_later(delay, callback)

    def cancel(self, handle) -> None:
        self.loop.remove_timeout(handle)

    def background(self, job, done) -> None:
        future = self.pool.submit(job)
        future.add_done_callback(lambda f: self.loop.add_callback(done, _result(f)))


def _result(future) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - reported as a failed build, the server goes on
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "detail": terminal_safe(str(exc))}


def _live_handlers(allowed: frozenset[str], clients: set):
    """livereload's WebSocket handler (``/livereload``) for this preview: it answers only its
    own host and origin (the library's accepts any, so a page on another site could connect),
    and keeps its browsers in ``clients`` (the library keeps them on its class, for every
    server in the process)."""
    from livereload.handlers import LiveReloadHandler
    from tornado.escape import json_decode
    from tornado.web import HTTPError

    class PreviewSocket(LiveReloadHandler):
        def prepare(self) -> None:
            if not _host_allowed(self.request.host, allowed):
                raise HTTPError(403)
            return super().prepare()

        def check_origin(self, origin: str) -> bool:
            from urllib.parse import urlsplit

            return _host_allowed(urlsplit(origin).netloc, allowed)

        def on_message(self, message) -> None:
            """The LiveReload protocol's handshake: ``hello`` is answered, ``info`` makes the
            browser one of those told to reload."""
            try:
                command = json_decode(message).get("command")
            except (ValueError, AttributeError):
                return
            if command == "hello":
                self.send_message(
                    {
                        "command": "hello",
                        "protocols": ["http://livereload.com/protocols/official-7"],
                        "serverName": "sahifa",
                    }
                )
            elif command == "info":
                clients.add(self)

        def on_close(self) -> None:
            clients.discard(self)

    return PreviewSocket


def _broadcast(clients: set, paths: list[str]) -> None:
    """Tell the browsers to reload: one stylesheet in place, anything else the whole page."""
    path = "/" + paths[0] if len(paths) == 1 and paths[0] != "*" else "*"
    message = {
        "command": "reload",
        "path": path if path.endswith(".css") else "*",
        "liveCSS": True,
        "liveImg": True,
    }
    for client in list(clients):
        try:
            client.write_message(message)
        except Exception:  # noqa: BLE001 - a browser that went away
            clients.discard(client)


def _application(out_dir: Path, status: Status, allowed: frozenset[str], clients: set):
    from livereload.handlers import LiveReloadJSHandler
    from livereload.server import LiveScriptInjector
    from tornado import web

    class Inject(LiveScriptInjector):
        """livereload's own way to put its client script into every HTML page."""

        script = (
            b'<script>(function(){var s=document.createElement("script");'
            b's.src="//"+window.location.host+"/livereload.js?port="+'
            b"(window.location.port||(window.location.protocol=='https:'?443:80));"
            b"document.head.appendChild(s);})();</script>"
        )

    return web.Application(
        [
            (r"/livereload", _live_handlers(allowed, clients)),
            (r"/livereload.js", LiveReloadJSHandler),
            (
                r"/(.*)",
                preview_handler(out_dir, status, allowed),
                {"path": str(out_dir), "default_filename": "index.html"},
            ),
        ],
        transforms=[Inject],
    )


def serve(
    config: SiteConfig,
    out_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    config_path: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    debug: bool = False,
    search: bool | None = None,
) -> int:
    """Build, then serve ``out_dir`` with live reload until interrupted. The site's lock is
    held for as long as the server runs (by its build process, which writes the output folder
    at any time): a command-line build of the same site waits, then says why."""
    from .lock import Busy
    from .write import owned_or_empty

    try:
        out_dir = check_output_dir(config, out_dir)
        if not force and not owned_or_empty(out_dir):
            raise SahifaError(
                str(out_dir),
                "this folder exists, is not empty and was not made by Sahifa; serve replaces it "
                "as a whole, so it refuses to. Choose another --out, or give --force",
            )
        return _serve(
            config,
            out_dir,
            host=host,
            port=port,
            config_path=config_path,
            cache_dir=cache_dir,
            debug=debug,
            force=force,
            search=search,
        )
    except Busy as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 75
    except SahifaError as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 2


def preview_base(host: str, port: int) -> str:
    """The preview's own address: its pages link to it, whatever ``base_url`` says."""
    name = "localhost" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}/"


def _serve(
    config: SiteConfig,
    out_dir: Path,
    *,
    host: str,
    port: int,
    config_path: Path | None,
    cache_dir: Path | None,
    debug: bool,
    force: bool,
    search: bool | None,
) -> int:
    import signal

    from tornado.ioloop import IOLoop

    from .builder import BuilderProcess

    if host not in LOOPBACK:
        print(
            f"warning: serving on {host}: other machines on the network can reach this preview",
            file=sys.stderr,
        )
    base = preview_base(host, port)
    config_path = config_path or config.root / "site.toml"
    overrides = {"base_url": base} if search is None else {"base_url": base, "search": search}
    config = load_config(config.root, config_path, **overrides)
    builder = BuilderProcess(
        {
            "root": str(config.root),
            "config_path": config_path,
            "overrides": overrides,
            "out_dir": str(out_dir),
            "cache_dir": str(cache_dir or config.root / CACHE_DIR_NAME),
            "force": force,
            "debug": debug,
        }
    )
    builder.start()  # Busy when another run holds the site
    loop = IOLoop.current()
    clients: set = set()
    scheduler = Scheduler(
        builder,
        lambda path: classify(path, config, config_path),
        _Timers(loop),
        say=lambda text: print(text, flush=True),
        reload=lambda paths: _broadcast(clients, paths),
    )
    # A wildcard bind (--host 0.0.0.0) is a choice to be reached by other machines, under
    # whatever name or address they use: then every Host is answered.
    wildcard = host in ("0.0.0.0", "::")
    allowed = frozenset({"*"} if wildcard else {*LOOPBACK, host.lower().strip("[]")})
    _escape_library_logs()
    app = _application(out_dir, scheduler.status, allowed, clients)
    observer = start_watching(
        watched_paths(config, config_path), lambda path: loop.add_callback(scheduler.saved, path)
    )
    # The first build, before the server answers: a page it serves is never older than the
    # inputs as they were when it started (saves made meanwhile are handled next).
    scheduler.start(builder.run("full", []))
    try:
        app.listen(port, address=host)
    except OSError as exc:
        observer.stop()
        builder.close()
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"Serving {out_dir} at {base} (Ctrl+C to stop)", flush=True)
    stopped: list[int] = []

    def stop(signum, frame) -> None:
        """SIGTERM (and SIGINT): stop the loop between two requests; no traceback."""
        stopped.append(128 + signum)
        loop.add_callback_from_signal(loop.stop)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    try:
        loop.start()
    finally:
        observer.stop()
        builder.close()
    if stopped:
        print("stopped", file=sys.stderr, flush=True)
        return stopped[0]
    return 0
