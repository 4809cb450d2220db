"""Helpers for the news-site tests (feeds, sitemap, search, metadata, link check).

``build_demo(dest, **overrides)`` builds a scratch copy of the demo site, whose Arabic story is
the user's seed ``seeds/000_92923d39de616abf.txt`` at ``ar/articles/<SEED_SLUG>/``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import quote
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from conftest import REPO, build, copy_site
from tools.screenshot import CHROMIUM, CHROMIUM_ARGS

SEED_SLUG = "شويغو-تنتهي-مهمة-قوات-الأمن-الجماعي-في-كازاخستان-بعد-استقرار"
SEED_NAME = "000_92923d39de616abf"
SEED_GROUP = "seed:000_92923d39de616abf"
SEED_LOC_PATH = "ar/articles/" + quote(SEED_SLUG) + "/"
"""The seed page's path as absolute URLs (sitemaps, feeds, canonical links) spell it."""


def build_demo(dest: Path, out: Path | None = None, **overrides):
    """Copy the demo site into ``dest`` and build it; returns (report, output folder)."""
    root = copy_site(dest)
    return build(root, out, **overrides)


class _Handler(SimpleHTTPRequestHandler):
    """Serves ``directory`` under ``prefix`` (e.g. ``/news/``); everything else is 404."""

    def __init__(self, *args, prefix: str = "/", **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(self.prefix):
            return str(Path(self.directory) / ".not-under-the-prefix" / "missing")
        return super().translate_path("/" + clean[len(self.prefix) :])

    def log_message(self, *args):  # quiet tests
        pass


def reserve_server(prefix: str = "/") -> tuple[ThreadingHTTPServer, int, Path]:
    """A bound (not yet serving) server; call ``start(server, directory)`` after the build."""
    holder = Path("/nonexistent")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(holder), prefix=prefix))
    return server, server.server_address[1], holder


def start(server: ThreadingHTTPServer, directory: Path, prefix: str = "/") -> threading.Thread:
    server.RequestHandlerClass = partial(_Handler, directory=str(directory), prefix=prefix)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """(status, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(step)
    raise AssertionError(f"timed out; last result: {last!r}")


@contextmanager
def serving(root: Path, log_path: Path, *options: str, ready: str = "/en/"):
    """``build.py --root ROOT serve`` on a free port until the block ends: yields (base URL,
    process) once ``ready`` answers 200. The terminal output goes to ``log_path`` (a pipe that
    nobody reads would fill up and block the server)."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "build.py"),
                "--root",
                str(root),
                *options,
                "serve",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(base + ready)[0] == 200, timeout=60)
        yield base, proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


BASE_URL = "https://example.org/news/"


class BrowserThread:
    """Headless Chromium driven by Playwright's sync API in a thread of its own.

    Another test module may hold a session-wide sync Playwright in the main thread, and the
    sync API refuses to start twice in one thread; each thread has its own event loop, so a
    dedicated thread always works. ``run(fn)`` calls ``fn(browser)`` there and returns its result.
    """

    def __init__(self) -> None:
        import queue
        from concurrent.futures import Future

        self._jobs: "queue.Queue" = queue.Queue()
        self._Future = Future
        ready: Future = Future()
        self._thread = threading.Thread(target=self._main, args=(ready,), daemon=True)
        self._thread.start()
        ready.result(timeout=60)

    def _main(self, ready) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                ready.set_result(True)
                while True:
                    job = self._jobs.get()
                    if job is None:
                        break
                    fn, future = job
                    try:
                        future.set_result(fn(browser))
                    except BaseException as exc:  # handed to the test thread
                        future.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)

    def run(self, fn, timeout: float = 60):
        future = self._Future()
        self._jobs.put((fn, future))
        return future.result(timeout=timeout)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)
