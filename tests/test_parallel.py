"""Reading and rendering in several processes gives the same site, byte for byte."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys

import generator.parallel as parallel
from conftest import REPO, build, copy_site


def tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


PARALLEL_BUILD = """
import sys
import generator.parallel as parallel
from conftest import build
parallel.MIN_PARALLEL_ITEMS = 1
parallel.os.cpu_count = lambda: 2
report, _ = build(__import__("pathlib").Path(sys.argv[1]), __import__("pathlib").Path(sys.argv[2]))
print(report.processes, len(report.problems), len(report.notices))
"""


def test_parallel_build_equals_serial_build(tmp_path, monkeypatch):
    """The parallel build runs in a process of its own: a process with other threads (pytest-xdist's
    workers have some) never forks, it builds serially (``parallel.single_threaded``)."""
    root = copy_site(tmp_path / "site")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    serial_report, serial = build(root, tmp_path / "serial")
    assert serial_report.processes == 1
    proc = subprocess.run(
        [sys.executable, "-c", PARALLEL_BUILD, str(root), str(tmp_path / "parallel")],
        capture_output=True,
        text=True,
        cwd=REPO / "tests",
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    processes, problems, notices = map(int, proc.stdout.split())
    assert processes == 2  # forked workers rendered the pages
    par = tmp_path / "parallel"
    assert tree(serial) == tree(par) and len(tree(par)) > 50
    _, mismatch, errors = filecmp.cmpfiles(serial, par, tree(serial), shallow=False)
    assert mismatch == [] and errors == []
    assert (problems, notices) == (len(serial_report.problems), len(serial_report.notices))


def test_no_fork_from_a_process_with_threads(monkeypatch):
    import threading

    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert parallel.run_tasks([lambda: os.getpid()] * 4, size=4) == [os.getpid()] * 4
        assert parallel.last_processes == 1
    finally:
        stop.set()
        other.join()


def test_map_in_processes_keeps_order(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 3)
    assert parallel.map_in_processes(abs, list(range(-20, 0))) == list(range(20, 0, -1))


FAILING_TASK = """
import generator.parallel as parallel
parallel.MIN_PARALLEL_ITEMS = 1
parallel.os.cpu_count = lambda: 2

def fail():
    raise ValueError("broken story")

try:
    parallel.run_tasks([lambda: 1, fail, lambda: 2, lambda: 3], size=4)
except ValueError as error:
    print("raised", error, parallel.last_processes)
"""


def test_a_failing_task_in_a_worker_ends_the_run_and_the_process():
    """A task's exception reaches the caller, and the process then exits: the workers are
    killed while idle, holding the task queue's lock, and the pool's clean-up at exit used
    to wait for that lock for ever."""
    done = subprocess.run(
        [sys.executable, "-c", FAILING_TASK], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["raised", "broken", "story", "2"]
