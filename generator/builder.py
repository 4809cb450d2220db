"""Serve, the builds: a process of their own, with one thread.

The preview server is a threaded process (its event loop, the file watcher, the thread that
waits for builds). Forking worker processes from such a process can deadlock the workers on a
lock another thread held at the fork. So the server never builds and never forks: it starts
this module as a separate Python process (``subprocess``, fork and exec at once) and sends it
commands over a socket pair. Here one thread runs them, one at a time, on a ``LiveSite`` kept
in memory between commands; a big build forks its worker pool from this single-threaded
process, exactly as the command line does.

Commands and their results (plain dicts, pickled by ``multiprocessing.connection``):

- ``full``: ``{"ok", "summary", "problems", "seconds"}`` or ``{"ok": False, "error", "detail"}``
- ``quick`` (saved article paths): ``{"written", "sources", "seconds"}``, or ``{"fallback": True}``
  when the update cannot be exact (a full build is then needed)
- ``static`` (saved static file paths): ``{"written"}`` or ``{"fallback": True}``
- ``extras``: ``{"written": n, "fingerprint"}`` (feeds, sitemap and search index refreshed)
- ``record`` (a fingerprint): the output is recorded as a build of those inputs: ``{}``

The process ignores Ctrl-C (the server stops it) and dies with the server (Linux
``PR_SET_PDEATHSIG``), its build workers with it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .config import SHIPPED


class BuilderGone(Exception):
    """The build process stopped (killed, or crashed): its next command starts a new one."""


class BuilderProcess:
    """The server's side: starts the build process and runs commands in it (``run`` blocks;
    the scheduler calls it from a background thread, one command at a time)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        """What the build process needs to make its ``LiveSite`` (see ``_make_site``)."""
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the build process; ``lock.Busy`` when another Sahifa run holds the site (the
        build process holds the site's lock for as long as it lives: it is the one writer)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from generator.builder import main; main(int(sys.argv[2]))"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(SHIPPED), str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(self.settings)
        answer = self.conn.recv()
        if "busy" in answer:
            self.close()
            from .lock import Busy

            raise Busy(answer["busy"])

    def run(self, command: str, arg: Any = None) -> dict:
        with self._lock:
            try:
                if self.proc is None or self.proc.poll() is not None:
                    self._start()  # a restart after a crash: the lock is free again
                self.conn.send((command, arg))
                return self.conn.recv()
            except (EOFError, OSError) as exc:
                self.close()
                if command in ("quick", "static"):
                    return {"fallback": True}
                return {
                    "ok": False,
                    "error": f"the build process stopped ({exc or 'no answer'})",
                    "detail": "the next save starts a new one",
                }

    def close(self) -> None:
        """Stop the build process at once (its workers die with it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.conn is not None:
            self.conn.close()
        self.proc = self.conn = None


# ---- the build process ----------------------------------------------------------------------


def main(fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .parallel import die_with_parent

    die_with_parent()
    conn = Connection(fd)
    settings = conn.recv()
    from .lock import Busy, site_lock

    lock = site_lock(Path(settings["root"]), Path(settings["out_dir"]), timeout=settings.get("wait", 5))
    try:
        lock.__enter__()  # held until this process ends (the kernel then releases it)
    except Busy as exc:
        conn.send({"busy": str(exc)})
        os._exit(75)
    conn.send({"ready": True})
    site = _make_site(settings)
    debug = settings.get("debug", False)
    while True:
        try:
            command, arg = conn.recv()
        except EOFError:
            break
        conn.send(serve_command(site, settings, command, arg, debug=debug))
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)


def _make_site(settings: dict[str, Any]):
    from .cache import BuildCache
    from .config import load_config
    from .live import LiveSite
    from .progress import Progress

    config = load_config(Path(settings["root"]), settings["config_path"], **settings["overrides"])
    site = LiveSite(config, Path(settings["out_dir"]), BuildCache(Path(settings["cache_dir"])))
    site.force = settings.get("force", False)
    site.progress = Progress(sys.stderr)
    return site


def serve_command(site, settings: dict[str, Any], command: str, arg: Any, *, debug: bool = False) -> dict:
    """Run one command on ``site`` (a ``live.LiveSite``); never raises."""
    start = time.perf_counter()
    if command == "full":
        return _full(site, settings, debug=debug)
    if command == "quick":
        try:
            written = site.quick_update([Path(p) for p in arg])
        except Exception:  # noqa: BLE001 - the full build that follows reports it
            written = None
        if written is None:
            return {"fallback": True}
        sources = [_rel(Path(p), site.config.root) for p in arg]
        return {"written": written, "sources": sources, "seconds": time.perf_counter() - start}
    if command == "static":
        written = site.copy_static([Path(p) for p in arg])
        return {"fallback": True} if written is None else {"written": written}
    if command == "extras":
        if site.site is None:
            return {"written": 0, "fingerprint": None}
        written, fingerprint = site.refresh_extras()
        return {"written": len(written), "fingerprint": fingerprint}
    if command == "record":
        site.save_state(arg)
        return {}
    raise ValueError(f"unknown command {command!r}")


def _full(site, settings: dict[str, Any], *, debug: bool) -> dict:
    from .config import load_config
    from .errors import SahifaError
    from .report import terminal_safe

    start = time.perf_counter()
    try:
        config = load_config(Path(settings["root"]), settings["config_path"], **settings["overrides"])
        report = site.full_build(config)
    except Exception as exc:  # noqa: BLE001 - the server must survive any build error
        if isinstance(exc, SahifaError):
            detail = str(exc)
        elif debug:
            detail = traceback.format_exc()
        else:
            detail = f"{type(exc).__name__}: {exc} (serve --debug shows the traceback)"
        site.show_error(detail)
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "detail": "\n".join(terminal_safe(line) for line in detail.splitlines()),
        }
    site.clear_error()
    return {
        "ok": True,
        "summary": report.summary(),
        "problems": [terminal_safe(p) for p in report.problems],
        "seconds": time.perf_counter() - start,
    }


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
