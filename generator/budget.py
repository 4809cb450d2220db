"""Budgets per input: a time limit for the work one article costs.

Size caps stop most hostile inputs before they are read (``paths.MAX_INPUT_BYTES``,
``content.MAX_BYTES``, ``fields.MAX_YAML_BYTES``, ``model.MAX_TERMS``). What a size cap cannot
stop is a small text that makes a parser work quadratically: 60 kB of ``<a `` kept
Python-Markdown's HTML scanner busy for close to a minute. ``time_limit`` bounds that work:
when the limit passes, a watchdog thread raises ``Overrun`` in the thread doing the work
(``PyThreadState_SetAsyncExc``), which stops it at its next Python instruction; the reader
turns it into an error naming the file, and the build (and ``serve``) go on with the other
stories. It works in worker processes and in any thread, where ``SIGALRM`` would work only in
a process's main thread.

What it cannot stop is a single call into C code that itself runs for a long time; the
parsers' quadratic paths are many short calls (one regular-expression search per tag or
bracket), which is where the limit takes hold. ``docs/limits.md`` records the curves.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import os
import threading
import time


class Overrun(BaseException):
    """The work went past its time limit. A ``BaseException``, so that the ``except
    Exception`` of a library (or of a fallback path of ours) cannot swallow it and go on
    without a limit."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(f"took longer than the {seconds:g} s limit for one article")
        self.seconds = seconds


class _Watchdog:
    """One per process: sleeps until the earliest deadline, then interrupts its thread."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.heap: list[tuple[float, int, int]] = []  # (deadline, token, thread id)
        self.active: set[int] = set()  # tokens of the blocks still running
        self.fired: set[int] = set()
        self.tokens = itertools.count()
        self.pid = os.getpid()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="sahifa-watchdog", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.lock:
            while not self.stopping:
                while self.heap and self.heap[0][1] not in self.active:
                    heapq.heappop(self.heap)
                if not self.heap:
                    self.lock.wait()
                    continue
                deadline, token, tid = self.heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self.lock.wait(wait)
                    continue
                heapq.heappop(self.heap)
                if token in self.active:
                    self.fired.add(token)
                    _raise_in(tid, Overrun)
                    # Again every half second until the block ends: code that catches
                    # everything cannot keep running past the limit.
                    heapq.heappush(self.heap, (time.monotonic() + 0.5, token, tid))

    def start(self, seconds: float) -> int:
        token = next(self.tokens)
        with self.lock:
            self.active.add(token)
            heapq.heappush(self.heap, (time.monotonic() + seconds, token, threading.get_ident()))
            self.lock.notify()
        return token

    def stop(self, token: int) -> bool:
        """Ends the watch; True when the watchdog fired (an ``Overrun`` may still be pending
        in this thread: it is cancelled)."""
        with self.lock:
            self.active.discard(token)
            fired = token in self.fired
            self.fired.discard(token)
            if fired:
                _raise_in(threading.get_ident(), None)  # cancel one not yet delivered
        return fired


def _raise_in(thread_id: int, exc_type) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None
    )


_watchdog: _Watchdog | None = None
_create = threading.Lock()


def _get() -> _Watchdog:
    global _watchdog
    dog = _watchdog
    if dog is None or dog.pid != os.getpid():  # none yet, or inherited by a fork (no thread)
        with _create:
            if _watchdog is None or _watchdog.pid != os.getpid():
                _watchdog = _Watchdog()
            dog = _watchdog
    return dog


def stop_watchdog() -> bool:
    """End this process's watchdog thread before a fork (a process that forks must have one
    thread: a lock held by another thread at the fork stays held for ever in the child). The
    next ``time_limit`` starts a new one. False when a time limit is running (never between
    stages, where the build forks)."""
    global _watchdog
    with _create:
        dog = _watchdog
        if dog is None or dog.pid != os.getpid():
            return True
        with dog.lock:
            if dog.active:
                return False
            dog.stopping = True
            dog.lock.notify()
        dog.thread.join()
        _watchdog = None
    return True


class time_limit:
    """``with time_limit(seconds):`` runs the block with a time limit (``None`` or 0: none).
    Raises ``Overrun`` when the block runs past it. Other exceptions (Ctrl-C, SIGTERM, a
    ``SahifaError``) pass through unchanged, even after the limit has fired."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds if seconds and seconds > 0 else None
        self.token: int | None = None

    def __enter__(self) -> "time_limit":
        if self.seconds is not None:
            self.dog = _get()
            self.token = self.dog.start(self.seconds)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.token is None:
            return False
        # End the watch first; an Overrun delivered while doing so is the one we expected
        # (``stop`` cancels any that is still pending once the watch is over).
        while True:
            try:
                fired = self.dog.stop(self.token)
                break
            except Overrun:
                continue
        self.token = None
        overran = fired or (exc_type is not None and issubclass(exc_type, Overrun))
        # KeyboardInterrupt, SystemExit, SIGTERM's exception ... pass as they are.
        if overran and (exc_type is None or issubclass(exc_type, (Exception, Overrun))):
            raise Overrun(self.seconds) from None
        return False
