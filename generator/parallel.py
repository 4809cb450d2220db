"""Spread the expensive stages over processes: reading (Markdown), and rendering pages with
feeds and search index.

Workers are forked after the parent has built everything they need (sources, the planned
pages, the Jinja2 environments), so nothing is pickled on the way in; only read records,
page digests and the feed and index files come back. Each render worker writes its pages
straight into the staging folder (every output path is owned by exactly one page, checked
beforehand in the parent).
Small sites, machines with one core and platforms without ``fork`` use one process and get
byte-identical output.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import threading
import weakref
from contextlib import contextmanager
from functools import partial
from typing import Any, Callable, Sequence

MIN_PARALLEL_ITEMS = 300
"""Below this many items, starting processes costs more than it saves."""

# Handed from the parent to forked workers (set just before the fork, cleared right after).
_job: dict[str, Any] = {}


def worker_count(items: int) -> int:
    if items < MIN_PARALLEL_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _worker_init(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's business. It reaches every process of the
    terminal's group; a worker that died of it while holding the task queue's lock made the
    parent wait for ever. Workers ignore SIGINT; the parent kills them when it stops
    (``_forked_pool``), and on Linux they die with the parent even when it is killed. SIGTERM
    keeps its default action, so the interpreter's own clean-up (which terminates and joins
    pool workers at exit) cannot wait for ever either. SIGPIPE gets its default action back
    (Python ignores it): a worker whose parent was interrupted a moment before it sent its
    result dies quietly, instead of printing a BrokenPipeError traceback into the parent's
    terminal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    die_with_parent(parent)
    gc.enable()  # the parent's may be paused (``cache.collector_paused``); a worker's heap is its own


def die_with_parent(parent: int | None = None) -> None:
    """On Linux, this process gets SIGKILL when its parent dies (``PR_SET_PDEATHSIG``). If the
    parent (``parent``, its pid; else any parent but init) died before the request took
    effect, this process ends now: an orphaned worker waiting on its task queue held the
    terminal's pipes open for ever."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent if parent is not None else os.getppid() == 1:
        os._exit(1)


def kill_workers() -> None:
    """SIGKILL every worker still alive: none of them can hold a lock the parent then waits
    for, as a terminated worker could."""
    for child in multiprocessing.active_children():
        try:
            child.kill()
        except (OSError, AttributeError):
            pass


def _abandon(pool) -> None:
    """Leave a pool whose workers were just killed. An idle worker waits for its next task
    holding the task queue's read lock (and one killed just after sending a result may still
    hold the result queue's write lock); killed, it never gives the lock back. The pool's own
    clean-up (``terminate()``, or the finalizer that runs it at interpreter exit) takes those
    locks, and its worker handler starts new workers to replace the dead: an interrupted
    build then hung at exit. So the handler threads are told to stop (no new workers; the
    result handler is woken to see it) and the clean-up is cancelled: the threads end within
    a moment, and the next ``run_tasks`` in this process (the preview's builder) forks again."""
    # A second Ctrl-C (or another worker's signal) must not cut this short half-way.
    block = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, block)
    except (AttributeError, OSError, ValueError):
        previous = None
    try:
        kill_workers()
        _stop_handlers(pool)
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_abandoned: weakref.WeakSet = weakref.WeakSet()
"""The handler threads of abandoned pools (``_stop_handlers``)."""
_shown = None


def _quiet_abandoned(args) -> None:
    """``threading.excepthook`` that says nothing of an abandoned pool's handler threads."""
    if args.thread not in _abandoned:
        _shown(args)


def _stop_handlers(pool) -> None:
    from multiprocessing import pool as mp_pool

    # A worker killed while it sent a result leaves part of a message in the result pipe: the
    # result handler then reads it with the wake-up below as garbage and fails. Nothing is
    # read from the pool any more, so that failure is no error to print.
    if threading.excepthook is not _quiet_abandoned:
        global _shown
        _shown, threading.excepthook = threading.excepthook, _quiet_abandoned
    for name in ("_worker_handler", "_task_handler", "_result_handler"):
        thread = getattr(pool, name, None)
        if thread is not None:
            _abandoned.add(thread)
    for name in ("_worker_handler", "_result_handler"):
        handler = getattr(pool, name, None)
        if handler is not None:
            handler._state = mp_pool.TERMINATE
    try:  # wake the result handler (it waits for results the dead will never send) to end
        pool._outqueue._writer.send(None)
    except (AttributeError, OSError):
        pass
    finalizer = getattr(pool, "_terminate", None)
    if finalizer is not None and hasattr(finalizer, "cancel"):
        finalizer.cancel()
    for name in ("_worker_handler", "_task_handler", "_result_handler"):
        thread = getattr(pool, name, None)
        if thread is not None:
            thread.join(1)  # a moment (0.1 s is the worker handler's beat), never for ever
    if hasattr(pool, "_state"):
        pool._state = mp_pool.TERMINATE  # not "running": no ResourceWarning when collected


@contextmanager
def _forked_pool(n: int):
    """A pool of ``n`` forked workers. Objects that exist before the fork are frozen (the
    workers' garbage collector then never walks the inherited heap, which would also copy
    its memory pages into each worker), and the parent's collector pauses while results
    stream in (unpickled records form no cycles; walking a growing heap again and again is
    what made 100,000 records slow to collect)."""
    gc.freeze()
    enabled = gc.isenabled()
    try:
        pool = multiprocessing.get_context("fork").Pool(n, initializer=_worker_init, initargs=(os.getpid(),))
        try:
            gc.disable()  # the workers are forked by now: this pauses the parent's only
            yield pool
        except Exception:
            # A task failed (its exception came back as a result) or the caller did: the
            # workers are alive and idle, and the pool's own shutdown ends them.
            pool.terminate()
            raise
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM): a worker may be anywhere. Kill them, and do not
            # ``terminate()``, which can wait for ever on a queue lock (``_abandon``).
            _abandon(pool)
            raise
        pool.close()
        pool.join()
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def single_threaded() -> bool:
    """True when this process has one thread, after ending the time limit's watchdog (it
    starts again when needed). A fork copies only the forking thread: a lock that another
    thread held at that moment stays held for ever in the child. The command line and the
    preview's build process (``builder``) have one thread here; anything else runs serially."""
    import threading

    from .budget import stop_watchdog

    return stop_watchdog() and threading.active_count() == 1


def slices(count: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous slices of ``range(count)`` of about equal length, in order.
    Contiguous, not interleaved: the page plan is ordered by language, so each worker renders
    mostly one language's pages and renders each article's card (memoized per process) once
    instead of in every worker."""
    parts = max(1, parts)
    bounds = [count * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(parts)]


def slice_tasks(
    func: Callable[[Any], Any], items: Sequence[Any], *, per_worker: int = 8, whole: bool = False
) -> list[Callable[[], list]]:
    """``func`` over ``items`` as ``per_worker`` tasks per worker (contiguous slices, see
    ``slices``): handed out as workers become free, they keep every worker busy to the end.
    ``whole``: ``func`` takes a slice of items and answers a list (one answer per item)."""
    return [
        partial(_run_slice, func, items, start, stop, whole)
        for start, stop in slices(len(items), per_worker * worker_count(len(items)))
    ]


def slice_size(task) -> int:
    """How many items a task of ``slice_tasks`` covers (0 for any other task)."""
    args = getattr(task, "args", ())
    return args[3] - args[2] if getattr(task, "func", None) is _run_slice else 0


def _run_slice(func, items, start: int, stop: int, whole: bool = False) -> list:
    if whole:
        return func(items[start:stop])
    return [func(items[i]) for i in range(start, stop)]


def map_in_processes(func: Callable[[Any], Any], items: Sequence[Any], *, stage=None) -> list:
    """``[func(x) for x in items]``, in forked processes when worth it; order is kept.
    ``stage`` (a ``progress.Stage``) advances as slices of items finish."""
    tasks = slice_tasks(func, items)
    done = None if stage is None else (lambda i: stage.advance(slice_size(tasks[i])))
    return [result for part in run_tasks(tasks, size=len(items), done=done) for result in part]


class Then:
    """What an ``Ahead``'s work returns when it has more to do that its caller need not wait
    for: ``value`` is answered at once, then ``after()`` runs in the work's process (saving
    what the next build reads, say) while the caller goes on; ``Ahead.finish`` waits for it."""

    def __init__(self, value: Any, after: Callable[[], Any] | None = None) -> None:
        self.value = value
        self.after = after


class Ahead:
    """Work started at once in one forked process, while this one goes on: on two cores, the
    core a serial step (planning the pages) leaves idle does it. ``result()`` gives what
    ``work()`` returned there (waiting for it), or None: nothing was forked (``run_tasks``
    would not fork for ``size`` items, or this process has other threads), or the work
    failed, or the process died. So the caller does without, making what it needs itself:
    the work must be an optimisation, never something the build cannot do without.
    ``cancel()`` kills the process (call it when the caller fails before asking); ``finish()``
    waits for what the work does after answering (``Then``)."""

    def __init__(self, work: Callable[[], Any], *, size: int, later: bool = False) -> None:
        """``later``: the work is not waited for soon; it runs at a lower priority (``nice``),
        on the time the processes the build waits for leave."""
        self.pid: int | None = None
        self._read: int | None = None
        self.forked = False
        """Whether the work was started in a process of its own (else ``result()`` is None)."""
        if worker_count(size) == 1 or not single_threaded():
            return
        read_end, write_end = os.pipe()
        parent = os.getpid()
        gc.freeze()  # the child's collector never walks the inherited heap (see _forked_pool)
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                _worker_init(parent)
                if later:
                    os.nice(5)
                answer = work()
                after = None
                if isinstance(answer, Then):
                    answer, after = answer.value, answer.after
                # First byte: whether work follows the answer (the caller then collects the
                # process later, ``finish``; else at once: a long-lived caller, the preview's
                # builder, keeps no finished process unreaped).
                send_all(write_end, (b"+" if after else b"-") + pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
                if after is not None:
                    os.close(write_end)  # answered: the caller reads to the end and goes on
                    after()
            finally:
                os._exit(0)
        gc.unfreeze()
        os.close(write_end)
        self.pid, self._read, self.forked = pid, read_end, True

    def result(self) -> Any:
        if self._read is None:
            return None  # nothing forked, or answered already
        try:
            data = received_all(self._read)
        except BaseException:
            self.cancel()
            raise
        self._reap(wait=data[:1] != b"+")  # it has answered (or died): leaving, or doing what comes after
        try:
            return pickle.loads(memoryview(data)[1:])  # (not a copy of the answer)
        except Exception:  # nothing, or not all of it: it failed or died
            return None

    def finish(self) -> None:
        """Wait until the process has ended (its work's ``Then.after`` done)."""
        self._reap()

    def cancel(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            self._reap()

    def _reap(self, *, wait: bool = True) -> None:
        """Close the pipe and collect the process once it has ended (``wait``: wait for it;
        else, if it is still running, it is collected by a later call)."""
        if self._read is not None:
            os.close(self._read)
            self._read = None
        if self.pid is not None:
            try:
                done, _ = os.waitpid(self.pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:
                done = self.pid
            if done:
                self.pid = None


def send_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def received_all(fd: int) -> bytes:
    """Everything until the other end is closed."""
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _run_task(i: int):
    return _job["tasks"][i]()


last_processes = 1
"""Processes the last ``run_tasks`` used (for the build's report)."""


def run_tasks(
    tasks: Sequence[Callable[[], Any]], *, size: int, done: Callable[[int], None] | None = None
) -> list:
    """``[task() for task in tasks]``, the tasks handed to forked workers as they become free
    (so put the big ones first); ``size`` (how many items the tasks cover) decides whether
    processes are worth starting. Results in the order of ``tasks``; ``done(i)`` is called as
    each task's result comes in (in the order of ``tasks``), for a progress display."""
    n = worker_count(size)
    if n > 1 and not single_threaded():
        n = 1  # never fork from a process with other threads (see ``single_threaded``)
    global last_processes
    last_processes = n
    done = done or (lambda i: None)
    results = []
    if n == 1:
        for i, task in enumerate(tasks):
            results.append(task())
            done(i)
        return results
    _job.update(tasks=tasks)
    try:
        with _forked_pool(n) as pool:
            # Every task queued at once, taken by the workers as they become free (no step
            # waits for its slowest task while the other workers idle); the results are
            # collected in order through the same blocking ``get`` as ``map``'s (and the same
            # behaviour under Ctrl-C), each with its progress step.
            pending = [pool.apply_async(_run_task, (i,)) for i in range(len(tasks))]
            for i, result in enumerate(pending):
                results.append(result.get())
                done(i)
        return results
    finally:
        _job.clear()
