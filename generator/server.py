"""Serve stage: build, then preview ``public/`` on 127.0.0.1 with live reload.

The ``livereload`` package serves the output folder and tells the browser to reload (its
LiveReload protocol). Changes are seen at once through ``watchdog`` (inotify on Linux)
instead of livereload's polling, and handled by ``Rebuilder``:

- saved articles whose placement is unchanged (the usual edit of a text or a title):
  ``LiveSite.quick_update`` re-renders the few pages that show them, in milliseconds;
- saved static files are copied;
- anything else (new or removed articles, tags, dates, templates, catalogues, the
  configuration): a full build, in a background thread, that re-reads only changed sources
  and writes only changed files. Once the saves stop for a moment after a quick update, a forked
  process brings feeds, sitemap and search index up to date.

Saves that arrive together are handled together; saves during a full build are handled
by the next one. The server only ever serves files under the output folder. A failed
rebuild keeps the last good site, prints the error and shows it on the page; the next save
that fixes it recovers.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import sys
import threading
import time
import traceback
from pathlib import Path

from .cache import CACHE_DIR_NAME, BuildCache
from .config import SiteConfig, load_config
from .errors import SahifaError
from .write import check_output_dir
from .readers import reader_for
from .report import terminal_safe

ERROR_PAGE = "_sahifa_build_error.html"
QUIET = 0.02
"""Seconds to wait for more events after a change (editors write a file in several steps)."""
SETTLE = 1.0
"""Seconds without saves after a quick update before feeds, sitemap and search index are
brought up to date (in a forked process)."""


class Rebuilder:
    """Turns batches of changed paths into quick updates or full builds (one at a time)."""

    def __init__(
        self,
        config: SiteConfig,
        out_dir: Path,
        *,
        config_path: Path | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        from .live import LiveSite

        self.config = config
        self.out_dir = out_dir
        self.config_path = config_path or config.root / "site.toml"
        self.site = LiveSite(config, out_dir, BuildCache(cache_dir or config.root / CACHE_DIR_NAME))
        self.lock = threading.Lock()
        self.last_error: str | None = None
        self.problems: list[str] = []
        """The last full build's problems (files skipped, and why): shown on 404 pages, where
        an article that failed to read would otherwise just be missing."""
        self.reload = lambda paths: None
        """Set by ``serve``: tells the browsers to reload (called from any thread)."""
        self.debug = False
        """Print tracebacks of internal errors (``--debug``)."""

    # ---- what a path is --------------------------------------------------------------
    def _kind(self, path: Path) -> str | None:
        """'article', 'static', 'other' (needs a full build) or None (not an input)."""
        name = path.name
        if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")):
            return None  # editors' backup and lock files
        cfg = self.config
        if path == self.config_path:
            return "other"
        if not any(path.is_relative_to(folder) for folder in cfg.input_dirs):
            return None
        if path.is_relative_to(cfg.static_dir) and path != cfg.static_dir:
            return "static"
        if reader_for(path, cfg.root) is not None:
            return "article"
        return "other"

    # ---- handling a batch ----------------------------------------------------------------
    def quick(self, paths: set[Path]) -> bool:
        """Apply a batch of input changes in place if it can be done exactly: articles
        whose placement is unchanged, or static files. False: a full build is needed."""
        kinds = {self._kind(p) for p in paths}
        start = time.perf_counter()
        if kinds == {"article"}:
            with self.site.lock:
                try:
                    written = self.site.quick_update(sorted(paths))
                except Exception:  # noqa: BLE001 - fall back to a full build, which reports it
                    written = None
            if written is None:
                return False
            print(f"updated {len(written)} pages in {time.perf_counter() - start:.3f}s", flush=True)
            self.problems = [
                p for p in self.problems if not any(p.startswith(self._rel(path) + ":") for path in paths)
            ]
        elif kinds == {"static"} and all(p.is_file() for p in paths):
            with self.site.lock:
                written = [rel for rel in map(self._copy_static, sorted(paths)) if rel]
            print(f"copied {len(written)} static files", flush=True)
        else:
            return False
        self.reload(written)
        return True

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.root).as_posix()
        except ValueError:
            return str(path)

    def _copy_static(self, path: Path) -> str | None:
        rel = "static/" + path.relative_to(self.config.static_dir).as_posix()
        if path.is_symlink():
            return None
        return rel if self.site.write_file(rel, path.read_bytes()) else None

    def full(self) -> None:
        """A full build (changed sources re-read, changed files written); never raises."""
        with self.lock:
            start = time.perf_counter()
            try:
                config = load_config(self.config.root, self.config_path, base_url=self.config.base_url)
                report = self.site.full_build(config)
                self.config = config
                self.last_error = None
                self.problems = list(report.problems)
                self._clear_error()
                print(f"rebuilt in {time.perf_counter() - start:.2f}s: {report.summary()}", flush=True)
                for problem in report.problems:
                    print(f"error: {terminal_safe(problem)}", flush=True)
            except Exception as exc:  # noqa: BLE001 - the server must survive any build error
                self.last_error = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, SahifaError):
                    detail = str(exc)
                elif self.debug:
                    detail = traceback.format_exc()
                else:
                    detail = f"{type(exc).__name__}: {exc} (serve --debug shows the traceback)"
                shown = "\n".join(terminal_safe(line) for line in detail.splitlines())
                print(
                    f"build failed, still serving the last good site:\n{shown}", file=sys.stderr, flush=True
                )
                self._show_error(detail)
        self.reload(["*"])

    def _show_error(self, detail: str) -> None:
        if not self.out_dir.is_dir():
            return
        page = (
            f'<!DOCTYPE html><html lang="en" dir="ltr"><meta charset="utf-8"><title>Build failed</title>'
            f'<body style="font-family:monospace"><h1>Sahifa: build failed</h1>'
            f"<p>The last good site is still being served. Fix the file and save to rebuild.</p>"
            f'<pre style="white-space:pre-wrap">{html.escape(detail)}</pre></body></html>'
        )
        (self.out_dir / ERROR_PAGE).write_text(page, encoding="utf-8")

    def _clear_error(self) -> None:
        try:
            (self.out_dir / ERROR_PAGE).unlink()
        except FileNotFoundError:
            pass


class ChangeQueue:
    """Collects changed paths from the watcher thread and hands them to the ``Rebuilder`` in
    batches on the IOLoop; full builds run in a worker thread, one at a time; saves that
    arrive meanwhile make one more build when it ends."""

    def __init__(self, rebuild: Rebuilder, loop) -> None:
        self.rebuild = rebuild
        self.loop = loop
        self.pending: set[Path] = set()
        self.scheduled = False
        self.building = False
        self.again = False
        self.settle = None
        self.extras = False

    def add(self, path: str) -> None:  # watcher thread
        self.loop.add_callback(self._add, Path(path))

    def _add(self, path: Path) -> None:
        if self.rebuild._kind(path) is None:
            return
        self.pending.add(path)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_later(QUIET, self._flush)

    def _flush(self) -> None:
        """Quick updates go ahead even while a full build runs (that build is then followed
        by another, which makes feeds and any page it overwrote up to date)."""
        self.scheduled = False
        paths, self.pending = self.pending, set()
        if self.rebuild.quick(paths):
            if self.building:
                self.again = True
            else:
                self._settle_later()
        elif self.building:
            self.again = True
        else:
            self._full_in_thread()

    def _settle_later(self) -> None:
        if self.settle is not None:
            self.loop.remove_timeout(self.settle)
        self.settle = self.loop.call_later(SETTLE, self._settled)

    def _settled(self) -> None:
        """Saves have stopped for a moment: refresh feeds, sitemap and search index in a
        forked process (the server keeps its core and its GIL for the next save)."""
        self.settle = None
        if self.building or self.extras:
            return  # a full build makes them anyway; a running refresh is followed by another
        site = self.rebuild.site
        with site.lock:
            fingerprint = site.fingerprint()
            job = site.extras_job()
            count = site.quick_updates
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=job, args=(send,), daemon=True)
        child.start()
        send.close()
        self.extras = True

        def wait():
            try:
                written = receive.recv()
            except EOFError:
                written = None
            child.join()
            self.loop.add_callback(self._extras_done, written, fingerprint, count)

        threading.Thread(target=wait, name="sahifa-extras", daemon=True).start()

    def _extras_done(self, written, fingerprint: str, count: int) -> None:
        self.extras = False
        site = self.rebuild.site
        if written is None:  # the child failed: a full build redoes everything properly
            self._full_in_thread()
            return
        with site.lock:
            same = site.quick_updates == count and not self.pending and not self.scheduled
            site.extras_done(written, fingerprint if same else None)
        print(f"feeds, sitemap and search index refreshed ({len(written)} files)", flush=True)
        if self.again:
            self.again = False
            self._full_in_thread()
        elif not same:
            self._settle_later()

    def _full_in_thread(self) -> None:
        if self.extras:  # the extras process must not write over the build's files: after it
            self.again = True
            return
        self.building = True
        self.again = False

        def work():
            try:
                self.rebuild.full()
            finally:
                self.loop.add_callback(self._built)

        threading.Thread(target=work, name="sahifa-build", daemon=True).start()

    def _built(self) -> None:
        self.building = False
        if self.again:
            self._full_in_thread()


_BODY_TAG = re.compile(rb"<body[^>]*>", re.I)


def preview_handler(
    out_dir: Path,
    rebuild: Rebuilder,
    allowed_hosts: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"}),
):
    """livereload's static file handler with two additions, made for one server (no globals).

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
            return path

        @staticmethod
        def _banner(abspath: str) -> bytes | None:
            if rebuild.last_error is None or not abspath.endswith((".html", ".htm")):
                return None
            if os.path.basename(abspath) == ERROR_PAGE:
                return None
            return _alert(
                "<strong>Sahifa: the last rebuild failed; this is the last good build.</strong>\n"
                + html.escape(rebuild.last_error)
            )

        @classmethod
        def _with_banner(cls, abspath: str, banner: bytes) -> bytes:
            with open(abspath, "rb") as fh:
                data = fh.read()
            match = _BODY_TAG.search(data)
            at = match.end() if match else 0
            return data[:at] + banner + data[at:]

        @classmethod
        def get_content(cls, abspath: str, start: int | None = None, end: int | None = None):
            banner = cls._banner(abspath)
            if banner is None:
                return super().get_content(abspath, start, end)
            return cls._with_banner(abspath, banner)[start:end]

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
            if rebuild.problems:
                match = _BODY_TAG.search(page)
                at = match.end() if match else 0
                page = page[:at] + _problems_banner(rebuild.problems) + page[at:]
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
            banner = self._banner(self.absolute_path)
            if banner is None:
                return super().get_content_size()
            return len(self._with_banner(self.absolute_path, banner))

    return PreviewFileHandler


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    host = (host or "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return "*" in allowed or name.strip("[]") in allowed


def _guard_live_handlers(allowed: frozenset[str]) -> None:
    """livereload's WebSocket (``/livereload``) and ``/forcereload`` accept any origin and any
    ``Host``: a page on another site could connect and have its messages logged. The routes
    ``livereload.server.Server.application`` registers get subclasses that answer only this
    preview's own host and origin (the library offers no other way to configure them)."""
    import livereload.server as live_server
    from livereload.handlers import ForceReloadHandler, LiveReloadHandler
    from tornado.web import HTTPError

    def guard(base):
        class Guarded(base):
            def prepare(self) -> None:
                if not _host_allowed(self.request.host, allowed):
                    raise HTTPError(403)
                return super().prepare()

            def check_origin(self, origin: str) -> bool:
                from urllib.parse import urlsplit

                return _host_allowed(urlsplit(origin).netloc, allowed)

        Guarded.__name__ = f"Guarded{base.__name__}"
        return Guarded

    if not getattr(live_server.LiveReloadHandler, "_sahifa_guarded", False):
        live_server.LiveReloadHandler = guard(LiveReloadHandler)
        live_server.ForceReloadHandler = guard(ForceReloadHandler)
        live_server.LiveReloadHandler._sahifa_guarded = True


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


def start_watching(paths: list[Path], queue: ChangeQueue):
    """A ``watchdog`` observer (inotify on Linux) that feeds ``queue`` from its own thread."""
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
                    queue.add(os.fsdecode(path))

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


def serve(
    config: SiteConfig,
    out_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    config_path: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    debug: bool = False,
) -> int:
    """Build, then serve ``out_dir`` with live reload until interrupted. The site's lock is
    held for as long as the server runs (its rebuilds write the output folder at any time):
    a command-line build of the same site waits, then says why."""
    from .lock import Busy, site_lock
    from .write import owned_or_empty

    try:
        out_dir = check_output_dir(config, out_dir)
        if not force and not owned_or_empty(out_dir):
            raise SahifaError(
                str(out_dir),
                "this folder exists, is not empty and was not made by "
                "Sahifa; serve replaces it as a whole, so it refuses to. "
                "Choose another --out, or give --force",
            )
        with site_lock(config.root, out_dir, timeout=5):
            return _serve(
                config,
                out_dir,
                host=host,
                port=port,
                open_browser=open_browser,
                config_path=config_path,
                cache_dir=cache_dir,
                debug=debug,
                force=force,
            )
    except Busy as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 75
    except SahifaError as exc:
        print(f"error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 2


def _serve(
    config: SiteConfig,
    out_dir: Path,
    *,
    host: str,
    port: int,
    open_browser: bool,
    config_path: Path | None,
    cache_dir: Path | None,
    debug: bool,
    force: bool,
) -> int:
    from livereload import Server
    from livereload.watcher import Watcher
    from tornado.ioloop import IOLoop

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: serving on {host}: other machines on the network can reach this preview",
            file=sys.stderr,
        )
    # Links must point at this server, whatever base_url the published site uses.
    name = "localhost" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    base = f"http://{name}:{port}/"
    config = load_config(config.root, config_path, base_url=base)
    rebuild = Rebuilder(config, out_dir, config_path=config_path, cache_dir=cache_dir)
    rebuild.debug = debug
    rebuild.site.force = force
    rebuild.full()

    class NoPolling(Watcher):
        """Changes come from watchdog; livereload's own polling watcher is switched off."""

        def __init__(self) -> None:
            super().__init__()
            self._tasks = {"(watchdog)": {"mtimes": {}, "func": None, "delay": None, "ignore": None}}

        def start(self, callback) -> bool:
            return True

        def examine(self):
            return None, None

    server = Server(watcher=NoPolling())
    # A wildcard bind (--host 0.0.0.0) is a choice to be reached by other machines, under
    # whatever name or address they use: then every Host is answered.
    wildcard = host in ("0.0.0.0", "::")
    allowed = frozenset({"*"} if wildcard else {"127.0.0.1", "localhost", "::1", host.lower().strip("[]")})
    server.SFH = preview_handler(out_dir, rebuild, allowed)
    _guard_live_handlers(allowed)
    _escape_library_logs()
    loop = IOLoop.current()

    def reload(paths) -> None:
        path = "/" + paths[0] if len(paths) == 1 and paths[0] != "*" else "*"
        # The guarded handler class (``_guard_live_handlers``) holds the watcher and waiters.
        import livereload.server as live_server

        loop.add_callback(
            live_server.LiveReloadHandler.reload_waiters, path if path.endswith(".css") else None
        )

    rebuild.reload = reload
    queue = ChangeQueue(rebuild, loop)
    observer = start_watching(watched_paths(config, config_path), queue)
    print(f"Serving {out_dir} at {base} (Ctrl+C to stop)", flush=True)
    stopped: list[int] = []

    def stop(signum, frame) -> None:
        """SIGTERM (and SIGINT): stop the loop between two requests; no traceback."""
        stopped.append(128 + signum)
        loop.add_callback_from_signal(loop.stop)

    import signal

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    try:
        server.serve(
            host=host,
            port=port,
            root=str(out_dir),
            open_url_delay=1 if open_browser else None,
            restart_delay=0,
        )
    finally:
        observer.stop()
    if stopped:
        print("stopped", file=sys.stderr, flush=True)
        return stopped[0]
    return 0
