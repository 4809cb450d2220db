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
from contextlib import contextmanager
from typing import Any, Callable, Sequence

MIN_PARALLEL_ITEMS = 300
"""Below this many items, starting processes costs more than it saves."""

# Handed from the parent to forked workers (set just before the fork, cleared right after).
_job: dict[str, Any] = {}


def worker_count(items: int) -> int:
    if items < MIN_PARALLEL_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


@contextmanager
def _quiet_collector():
    """Around a pool: objects that exist before the fork are frozen (the workers' garbage
    collector then never walks the inherited heap, which would also copy its memory pages
    into each worker), and the parent's collector pauses while results stream in (unpickled
    records form no cycles; walking a growing heap again and again is what made 100,000
    records slow to collect)."""
    gc.freeze()
    enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _pause_parent_collector() -> None:
    gc.disable()  # called in the parent once the workers are forked; restored on exit


def _run_share(share: tuple[int, int]) -> list:
    start, stop = share
    func, items = _job["func"], _job["items"]
    return [func(items[i]) for i in range(start, stop)]


def _shares(count: int, n: int) -> list[tuple[int, int]]:
    """``n`` contiguous slices of about equal length, in order. Contiguous, not interleaved: the page
    plan is ordered by language, so each worker renders mostly one language's pages and
    renders each article's card (memoized per process) once instead of in every worker."""
    bounds = [count * k // n for k in range(n + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(n)]


def map_in_processes(func: Callable[[Any], Any], items: Sequence[Any]) -> list:
    """``[func(x) for x in items]``, in forked processes when worth it; order is kept."""
    n = worker_count(len(items))
    if n == 1:
        return [func(x) for x in items]
    _job.update(func=func, items=items)
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            # A few slices per worker, handed out as workers become free, keep them all busy.
            shares = pool.map(_run_share, _shares(len(items), n * 4), chunksize=1)
    finally:
        _job.clear()
    return [result for share in shares for result in share]


def _run_task(i: int):
    return _job["tasks"][i]()


def run_tasks(tasks: Sequence[Callable[[], Any]], *, size: int) -> list:
    """``[task() for task in tasks]``, the tasks handed to forked workers as they become free
    (so put the big ones first); ``size`` (how many items the tasks cover) decides whether
    processes are worth starting. Results in the order of ``tasks``."""
    n = worker_count(size)
    if n == 1:
        return [task() for task in tasks]
    _job.update(tasks=tasks)
    try:
        with _quiet_collector(), multiprocessing.get_context("fork").Pool(n) as pool:
            _pause_parent_collector()
            return pool.map(_run_task, range(len(tasks)), chunksize=1)
    finally:
        _job.clear()


def slices(count: int, parts: int) -> list[tuple[int, int]]:
    """``_shares`` for callers that build their own tasks."""
    return _shares(count, max(1, parts))
