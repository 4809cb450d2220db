"""Serve stage: build, then preview ``public/`` on 127.0.0.1 with live reload.

The ``livereload`` package watches the inputs, runs ``Rebuilder`` on a change and tells the
browser to reload. The server only ever serves files under the output folder. A failed
rebuild keeps the last good site, prints the error and shows it on the page; the next save
that fixes it recovers.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import sys
import threading
import time
import traceback
from pathlib import Path

from .config import SiteConfig, load_config
from .errors import SahifaError
from .pipeline import build_site, check_output_dir

ERROR_PAGE = "_sahifa_build_error.html"


class Rebuilder:
    """Runs builds for the server: one at a time, bursts of saves coalesced into one."""

    def __init__(self, config: SiteConfig, out_dir: Path, *, config_path: Path | None = None) -> None:
        self.config = config
        self.out_dir = out_dir
        self.config_path = config_path
        self.lock = threading.Lock()
        self.builds = 0
        self.last_error: str | None = None

    def __call__(self) -> None:
        with self.lock:
            start = time.perf_counter()
            try:
                config = load_config(self.config.root, self.config_path, base_url=self.config.base_url)
                report = build_site(config, self.out_dir, today=dt.date.today())
                self.config = config
                self.last_error = None
                self._clear_error()
                print(f"rebuilt in {time.perf_counter() - start:.2f}s: {report.summary()}", flush=True)
                for problem in report.problems:
                    print(f"error: {problem}", flush=True)
            except Exception as exc:  # noqa: BLE001 - the server must survive any build error
                self.last_error = f"{type(exc).__name__}: {exc}"
                detail = str(exc) if isinstance(exc, SahifaError) else traceback.format_exc()
                print(f"build failed, still serving the last good site:\n{detail}", file=sys.stderr, flush=True)
                self._show_error(detail)
            finally:
                self.builds += 1

    def _show_error(self, detail: str) -> None:
        if not self.out_dir.is_dir():
            return
        page = (f'<!DOCTYPE html><html lang="en" dir="ltr"><meta charset="utf-8"><title>Build failed</title>'
                f'<body style="font-family:monospace"><h1>Sahifa: build failed</h1>'
                f'<p>The last good site is still being served. Fix the file and save to rebuild.</p>'
                f'<pre style="white-space:pre-wrap">{html.escape(detail)}</pre></body></html>')
        (self.out_dir / ERROR_PAGE).write_text(page, encoding="utf-8")

    def _clear_error(self) -> None:
        try:
            (self.out_dir / ERROR_PAGE).unlink()
        except FileNotFoundError:
            pass


_BODY_TAG = re.compile(rb"<body[^>]*>", re.I)


def preview_handler(out_dir: Path, rebuild: Rebuilder):
    """livereload's static file handler with two additions, made for one server (no globals).

    - Nothing that resolves outside the output folder is served: ``..`` and encoded forms are
      refused by tornado already; this also refuses links inside the output folder that
      point outside it, whatever the tornado version.
    - While the last rebuild has failed, every HTML page gets a banner with the error at the
      top of its body (the page itself is still the last good build).
    """
    from livereload.handlers import StaticFileHandler
    from tornado.web import HTTPError

    real_root = os.path.realpath(out_dir)

    class PreviewFileHandler(StaticFileHandler):
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
            return ('<div role="alert" dir="ltr" lang="en" style="background:#fee;color:#600;'
                    'border:2px solid #c00;padding:1em;font-family:monospace;white-space:pre-wrap">'
                    '<strong>Sahifa: the last rebuild failed; this is the last good build.</strong>\n'
                    f'{html.escape(rebuild.last_error)}</div>').encode("utf-8")

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

        def get_content_size(self) -> int:
            banner = self._banner(self.absolute_path)
            if banner is None:
                return super().get_content_size()
            return len(self._with_banner(self.absolute_path, banner))

    return PreviewFileHandler


def watched_paths(config: SiteConfig, config_path: Path | None = None) -> list[Path]:
    return [config.content_dir, config.seeds_dir, config.templates_dir, config.static_dir,
            config.root / "locale", config_path or config.root / "site.toml"]


def serve(config: SiteConfig, out_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
          open_browser: bool = False, config_path: Path | None = None) -> int:
    from livereload import Server

    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: other machines on the network can reach this preview",
              file=sys.stderr)
    # Links must point at this server, whatever base_url the published site uses.
    base = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{port}/"
    config = load_config(config.root, config_path, base_url=base)
    try:
        out_dir = check_output_dir(config, out_dir)
    except SahifaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rebuild = Rebuilder(config, out_dir, config_path=config_path)
    rebuild()
    server = Server()
    server.SFH = preview_handler(out_dir, rebuild)
    for path in watched_paths(config, config_path):
        if path.exists():
            server.watch(str(path), rebuild, delay=0.05)
    print(f"Serving {out_dir} at {base} (Ctrl+C to stop)", flush=True)
    server.serve(host=host, port=port, root=str(out_dir), open_url_delay=1 if open_browser else None,
                 restart_delay=0)
    return 0
