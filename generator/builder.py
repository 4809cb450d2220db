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
- ``quick`` (saved article paths): ``{"written", "sources", "seconds"}``, or ``{"fallback": True,
  "written"}`` when the update cannot be exact (a full build is then needed; ``written``: the
  first look at new stories, ``live.LiveSite.first_look``, for the browsers to reload now)
- ``static`` (saved static file paths): ``{"written"}`` or ``{"fallback": True}``
- ``record`` (a fingerprint): the output is recorded as a build of those inputs: ``{}``

Feeds, sitemap and search index are refreshed on a channel of their own (``extras``): the
build process forks a child that writes them from the model as it is, and goes on taking
commands (a quick update of the next save does not wait for the refresh; the files they
write are disjoint). The answer, ``{"written": n, "fingerprint"}``, comes when the child is
done. A full build waits for a running refresh.

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
from multiprocessing.connection import Connection, wait
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
        self.extras_conn: Connection | None = None
        self._lock = threading.Lock()
        self._extras_lock = threading.Lock()

    def start(self) -> None:
        """Start the build process; ``lock.Busy`` when another Sahifa run holds the site (the
        build process holds the site's lock for as long as it lives: it is the one writer)."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        extras_ours, extras_theirs = socket.socketpair()
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from generator.builder import main; main(int(sys.argv[2]), int(sys.argv[3]))"
        )
        fds = [theirs.fileno(), extras_theirs.fileno()]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(SHIPPED), *map(str, fds)],
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        extras_theirs.close()
        self.conn = Connection(ours.detach())
        self.extras_conn = Connection(extras_ours.detach())
        self.conn.send(self.settings)
        answer = self.conn.recv()
        if "busy" in answer:
            self.close()
            from .lock import Busy

            raise Busy(answer["busy"])

    def run(self, command: str, arg: Any = None) -> dict:
        from .errors import SahifaError

        with self._lock:
            try:
                if self.proc is None or self.proc.poll() is not None:
                    self._restart()
                self.conn.send((command, arg))
                return self.conn.recv()
            except (EOFError, OSError, SahifaError) as exc:  # stopped, or (restarting) busy
                self._stop()
                return {
                    "ok": False,
                    "error": f"the build process stopped ({exc or 'no answer'})"
                    if not isinstance(exc, SahifaError)
                    else str(exc),
                    "detail": "the next save starts a new one",
                }

    def _restart(self) -> None:
        """A new build process after one stopped. Each thread closes only the connection it
        uses: the refresh thread closes the old refresh connection itself if it is using it."""
        if self.conn is not None:
            self.conn.close()
        if self.extras_conn is not None and self._extras_lock.acquire(blocking=False):
            try:
                self.extras_conn.close()
            finally:
                self._extras_lock.release()
        self._start()

    def extras(self) -> dict:
        """Refresh feeds, sitemap and search index (blocks until done; commands may run
        meanwhile, from another thread)."""
        with self._extras_lock:
            conn = self.extras_conn
            try:
                if conn is None:
                    raise EOFError("no build process")
                conn.send("extras")
                return conn.recv()
            except (EOFError, OSError):
                if conn is not None and conn is not self.extras_conn:
                    conn.close()  # replaced by a restart meanwhile: this thread's to close
                return {"written": 0, "fingerprint": None}

    def _stop(self) -> None:
        """Kill the build process (its connections then read end-of-file; the next command
        starts a new one)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        """Stop the build process at once (its workers die with it); the server is ending."""
        self._stop()
        for conn in (self.conn, self.extras_conn):
            if conn is not None:
                conn.close()
        self.proc = self.conn = self.extras_conn = None


# ---- the build process ----------------------------------------------------------------------


def main(fd: int, extras_fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .parallel import die_with_parent

    die_with_parent()
    conn = Connection(fd)
    extras = Connection(extras_fd)
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
    refresh: _Refresh | None = None
    indexing = True
    while True:
        waiting = [conn, extras] + ([refresh.pipe] if refresh is not None else [])
        ready_list = wait(waiting, timeout=0 if indexing and site._unindexed else None)
        if not ready_list:
            try:  # nothing asked: index the last build's pages a step further (``LiveSite``)
                site.index_step()
            except Exception as exc:  # noqa: BLE001 - a quick update meets it again, and falls back
                _report("indexing the pages", exc)
                indexing = False
            continue
        indexing = True
        for ready in ready_list:
            if ready is conn:
                command, arg = _receive(conn)
                if command == "full" and refresh is not None:
                    _send(extras, refresh.finish(site))  # never swap the folder under it
                    refresh = None
                _send(conn, serve_command(site, settings, command, arg, debug=debug))
            elif ready is extras:
                _receive(extras)
                refresh = _Refresh.start(site)
                if refresh.pipe is None:  # done already, in this process
                    _send(extras, refresh.finish(site))
                    refresh = None
            elif refresh is not None:
                _send(extras, refresh.finish(site))
                refresh = None
            sys.stdout.flush()
            sys.stderr.flush()


def _receive(conn: Connection) -> Any:
    try:
        return conn.recv()
    except (EOFError, OSError):  # the server is gone: so is this process
        os._exit(0)


def _send(conn: Connection, value: Any) -> None:
    try:
        conn.send(value)
    except (EOFError, OSError):
        os._exit(0)


class _Refresh:
    """Feeds, sitemap and search index, written by a forked child of this (single-threaded)
    process from the model as it is at the fork; its manifest entries come back by pipe."""

    def __init__(self, fingerprint: str | None, pipe=None, child=None, written=None) -> None:
        self.fingerprint, self.pipe, self.child, self.written = fingerprint, pipe, child, written

    @classmethod
    def start(cls, site) -> "_Refresh":
        """Never raises: a refresh that cannot start is one that wrote nothing (the next full
        build writes those files)."""
        if site.site is None:
            return cls(None, written={})
        try:
            fingerprint = site.fingerprint()
            from .parallel import single_threaded

            if not single_threaded():  # (never the case here; but never fork with threads)
                return cls(fingerprint, written=site.write_extras())
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            receive, send = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_write_extras, args=(site, send, os.getpid()), daemon=True)
            child.start()
            send.close()
            return cls(fingerprint, receive, child)
        except Exception as exc:  # noqa: BLE001 - reported; the server goes on
            _report("refreshing feeds, sitemap and search index", exc)
            return cls(None, written=None)

    def finish(self, site) -> dict:
        written = self.written
        if self.pipe is not None:
            try:
                written = self.pipe.recv()
            except EOFError:  # the child failed: the next full build writes them
                written = None
            self.child.join()
            self.pipe.close()
        if written is None:
            return {"written": 0, "fingerprint": None}
        try:
            site.extras_done(written)
        except Exception as exc:  # noqa: BLE001 - e.g. a full disk: not recorded
            _report("recording the refreshed files", exc)
            return {"written": len(written), "fingerprint": None}
        return {"written": len(written), "fingerprint": self.fingerprint}


def _report(doing: str, exc: BaseException) -> None:
    from .report import terminal_safe

    print(
        f"error while {doing}: {terminal_safe(f'{type(exc).__name__}: {exc}')}", file=sys.stderr, flush=True
    )


def _write_extras(site, pipe, parent: int) -> None:
    from .parallel import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)
    pipe.send(site.write_extras())


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
    """Run one command on ``site`` (a ``live.LiveSite``); never raises. A quick or static
    update that fails for any reason asks for a full build (which reports the problem)."""
    if command == "full":
        return _full(site, settings, debug=debug)
    try:
        return _quick_command(site, command, arg)
    except Exception as exc:  # noqa: BLE001 - the build process must survive any input
        if command in ("quick", "static"):
            return {"fallback": True}
        _report(f"running {command}", exc)
        if command == "record":
            return {}  # the output stays recorded as out of date: the next build checks it
        return {
            "ok": False,
            "error": f"{type(exc).__name__}: {exc}",
            "detail": traceback.format_exc() if debug else "",
        }


def _quick_command(site, command: str, arg: Any) -> dict:
    start = time.perf_counter()
    if command == "quick":
        written = site.quick_update([Path(p) for p in arg])
        if written is None:
            # A full build follows; new stories are on screen before it (``first_look``).
            return {"fallback": True, "written": site.first_look([Path(p) for p in arg])}
        sources = [_rel(Path(p), site.config.root) for p in arg]
        return {"written": written, "sources": sources, "seconds": time.perf_counter() - start}
    if command == "static":
        written = site.copy_static([Path(p) for p in arg])
        return {"fallback": True} if written is None else {"written": written}
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
