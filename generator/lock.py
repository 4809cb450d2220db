"""One writer at a time: a build, ``serve``'s rebuilds (and later ``fetch``) hold a lock on
the site folder, and on the output folder when it lies outside the site, for as long as they
write.

Two builds of one site started a second apart used to interleave their staging folders and
swaps (once both reported success with files missing). The lock is ``flock`` on the folders
themselves (for an output outside the site, on ``.<name>.lock`` beside it), so nothing is
written in the site to take it, a killed process releases it at once (the
kernel closes its descriptors), and it covers every Sahifa process on the machine. A second
run waits for the first (``timeout`` seconds at most, saying that it waits), then gives up
with a clear message. On systems without ``fcntl`` (Windows) there is no lock.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import SahifaError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_held: dict[str, int] = {}
"""Folder -> times taken by this process. The lock belongs to the process: ``serve`` holds it
while it runs, and its rebuild threads enter it again (they are serialised by ``serve``)."""
_guard = threading.Lock()  # guards ``_held`` only


class Busy(SahifaError):
    """Another Sahifa run holds the lock."""


@contextmanager
def site_lock(root: Path, out_dir: Path, *, timeout: float = 600.0, say=None):
    """Hold the lock on ``root`` (and on the output when it is outside the site) for the block.

    ``say`` (a function taking a message; default: print it on stderr) is told once when the
    lock has been waited for ``SAY_AFTER`` seconds (half the ``timeout`` if that is less).
    Raises ``Busy`` when it is still held after ``timeout`` seconds.
    """
    folders = [os.path.realpath(root)]
    parent = os.path.realpath(out_dir.parent)
    if parent != folders[0]:
        # An output outside the site folder (``--out /var/www/news``): a lock file of its
        # own beside it, where the build also stages (``.news.new-*``), so that two sites
        # with outputs in one parent folder do not wait for each other.
        os.makedirs(parent, exist_ok=True)
        folders.append(os.path.join(parent, f".{out_dir.name}.lock"))
    say = say or _stderr
    taken: list[tuple[str, int | None]] = []
    try:
        for key in sorted(folders):  # one order everywhere: no deadlock between two runs
            taken.append((key, _take(key, timeout, say)))
        yield
    finally:
        for key, fd in reversed(taken):
            _release(key, fd)


def _take(key: str, timeout: float, say) -> int | None:
    with _guard:
        if _held.get(key):
            _held[key] += 1
            return None
        if fcntl is None:  # pragma: no cover
            _held[key] = 1
            return None
    fd = os.open(key, os.O_RDONLY) if os.path.isdir(key) else os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    say_at = deadline - timeout + min(SAY_AFTER, timeout / 2)
    told = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        key,
                        "another Sahifa run (a build, serve or fetch) is writing this "
                        f"site; gave up after waiting {timeout:g} s. Run again when it "
                        "has finished",
                    ) from None
                if not told and say is not None and time.monotonic() >= say_at:
                    say(f"waiting for another Sahifa run on {key} to finish ...")
                    told = True
                time.sleep(0.1)
    except BaseException:
        os.close(fd)
        raise
    with _guard:
        _held[key] = 1
    return fd


SAY_AFTER = 1.0
"""Seconds of waiting for the lock before saying so: a run that is about to finish (a build
of one new story takes about a second) is waited for without a word."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _release(key: str, fd: int | None) -> None:
    with _guard:
        _held[key] -= 1
        if _held[key] == 0:
            del _held[key]
    if fd is not None:
        os.close(fd)  # releases the flock
