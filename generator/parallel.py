"""Spread the two expensive stages over processes: reading (Markdown) and rendering pages.

Workers are forked after the parent has built everything they need (sources, the planned
pages, the Jinja2 environments), so nothing is pickled on the way in; only read records
come back. Each render worker writes its own share of pages straight into the staging
folder (every output path is owned by exactly one page, checked beforehand in the parent).
Small sites, machines with one core and platforms without ``fork`` use one process and get
byte-identical output.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any, Callable, Sequence

MIN_PARALLEL_ITEMS = 300
"""Below this many items, starting processes costs more than it saves."""

# Handed from the parent to forked workers (set just before the fork, cleared right after).
_job: dict[str, Any] = {}


def worker_count(items: int) -> int:
    if items < MIN_PARALLEL_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run_share(share: tuple[int, int]) -> list:
    k, n = share
    func, items = _job["func"], _job["items"]
    return [func(items[i]) for i in range(k, len(items), n)]


def map_in_processes(func: Callable[[Any], Any], items: Sequence[Any]) -> list:
    """``[func(x) for x in items]``, in forked processes when worth it; order is kept."""
    n = worker_count(len(items))
    if n == 1:
        return [func(x) for x in items]
    _job.update(func=func, items=items)
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            shares = pool.map(_run_share, [(k, n) for k in range(n)])
    finally:
        _job.clear()
    results: list = [None] * len(items)
    for k, share in enumerate(shares):
        results[k::n] = share
    return results
