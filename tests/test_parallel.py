"""Reading and rendering in several processes gives the same site, byte for byte."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys

import pytest

import generator.parallel as parallel
from conftest import REPO, build, copy_site


def tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


PARALLEL_BUILD = """
import sys
import pytest

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


def _run_script(script: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a Python of its own (this one, under pytest-xdist, has threads and
    never forks) and check that it ended well."""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


COLLECTOR = """
import gc
import generator.parallel as parallel
from generator.cache import collector_paused
parallel.MIN_PARALLEL_ITEMS = 1
parallel.os.cpu_count = lambda: 2
with collector_paused():
    paused = gc.isenabled()
    workers = parallel.run_tasks([gc.isenabled] * 4, size=4)
    processes = parallel.last_processes
print(paused, workers, processes, gc.isenabled())
"""


def test_the_collector_pauses_in_the_build_not_in_its_workers():
    """A build pauses its own process's garbage collector (``collector_paused``) and turns it
    back on after; workers forked meanwhile collect their own garbage."""
    proc = _run_script(COLLECTOR)
    assert proc.stdout.split() == ["False", "[True,", "True,", "True,", "True]", "2", "True"]


def test_a_build_gives_the_collector_back(tmp_path):
    import gc

    assert gc.isenabled()
    build(copy_site(tmp_path / "site"), tmp_path / "out")
    assert gc.isenabled()


STOPPED_RUNS = """
import os, signal, sys, time
import pytest

import generator.parallel as parallel
MAIN = os.getpid()
parallel.MIN_PARALLEL_ITEMS = 1
parallel.os.cpu_count = lambda: 2

def fail():
    raise ValueError("broken")

def interrupt():  # Ctrl-C reaching the parent while workers run
    os.kill(MAIN, signal.SIGINT)
    time.sleep(0.05)
    return 0

stop = fail if sys.argv[1] == "fail" else interrupt
for attempt in range(int(sys.argv[2])):
    try:
        parallel.run_tasks([lambda: 1, stop, lambda: 2, lambda: 3] * 3, size=12)
    except (ValueError, KeyboardInterrupt) as error:
        print(type(error).__name__, parallel.last_processes, flush=True)
"""


@pytest.mark.parametrize("how", ["fail", "interrupt"])
def test_a_failed_or_interrupted_run_ends_and_the_process_exits(how):
    """A task's exception, or Ctrl-C, reaches the caller, and the process then exits. Killed
    workers leave the pool's queue locks taken, and the pool's clean-up at exit (and its
    worker handler, replacing the dead) used to wait for them for ever. After a failed task
    the next run forks again."""
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_RUNS, how, "10"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.split("\n")[:-1]
    if how == "fail":
        assert lines == ["ValueError 2"] * 10
    else:
        assert [line.split()[0] for line in lines] == ["KeyboardInterrupt"] * 10


CUT_RESULT = """
import os, struct
import generator.parallel as parallel

try:
    with parallel._forked_pool(2) as pool:
        pool.apply(os.getpid)  # the handlers run
        # What a worker killed half-way through sending a result leaves in the result pipe:
        # a length, and fewer bytes than it says (the wake-up message then completes it).
        os.write(pool._outqueue._writer.fileno(), struct.pack("!i", 18) + b"\\x80\\x05junk!!!!")
        raise KeyboardInterrupt
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_an_interrupted_pool_prints_no_traceback_for_a_cut_result():
    """Interrupted while a worker was sending a result, the pool's result handler reads the
    cut message as garbage: the build's "interrupted" is then the only thing said (the
    handler's traceback used to be printed after it)."""
    done = subprocess.run(
        [sys.executable, "-c", CUT_RESULT], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "interrupted\n", done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


AHEAD = """
import os, signal, sys, time
import generator.parallel as parallel
MAIN = os.getpid()
parallel.MIN_PARALLEL_ITEMS = 1
parallel.os.cpu_count = lambda: 2

def elsewhere():
    return ("made", os.getpid() != MAIN)

def fail():
    raise ValueError("broken in the child")

def slow():
    time.sleep(60)
    return "late"

def reaped(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return "reaped"
    return "not reaped"

done = parallel.Ahead(elsewhere, size=10)
pid = done.pid
print("forked" if done.pid else "not forked", done.result(), reaped(pid))
print("failed", parallel.Ahead(fail, size=10).result())
killed = parallel.Ahead(slow, size=10)
os.kill(killed.pid, signal.SIGKILL)
print("killed", killed.result())
cancelled = parallel.Ahead(slow, size=10)
pid = cancelled.pid
cancelled.cancel()
print("cancelled", reaped(pid))
interrupted = parallel.Ahead(slow, size=10)
pid = interrupted.pid
def ctrl_c(*_):
    raise KeyboardInterrupt
signal.signal(signal.SIGALRM, ctrl_c)
signal.setitimer(signal.ITIMER_REAL, 0.3)
try:
    interrupted.result()
except KeyboardInterrupt:
    print("interrupted", reaped(pid))
small = parallel.Ahead(elsewhere, size=0)
print("small", small.pid, small.result())
import tempfile
mark = os.path.join(tempfile.mkdtemp(), "after")
def save_later():
    time.sleep(0.5)
    with open(mark, "w") as fh:
        fh.write("saved")
def answer_then_save():
    return parallel.Then(("answer", os.getpid() != MAIN), save_later)
then = parallel.Ahead(answer_then_save, size=10)
pid = then.pid
began = time.monotonic()
print("then", then.result(), time.monotonic() - began < 0.4, os.path.exists(mark))
then.finish()
print("finished", os.path.exists(mark), reaped(pid))
def broken_after():
    raise ValueError("the save failed")
print("then failing", parallel.Ahead(lambda: parallel.Then("kept", broken_after), size=10).result())
"""


def test_work_started_ahead():
    """``Ahead`` does its work in a forked process while the caller goes on and hands the
    result over when asked; when the work fails, the process is killed, or nothing was forked
    (too few items), the answer is None (the caller does without); cancelling, or Ctrl-C
    while waiting, kills and reaps the process. A work that answers ``Then`` answers at once
    and does what comes after in its process, waited for by ``finish()``."""
    proc = _run_script(AHEAD)
    assert proc.stdout.split("\n")[:-1] == [
        "forked ('made', True) reaped",
        "failed None",
        "killed None",
        "cancelled reaped",
        "interrupted reaped",
        "small None None",
        "then ('answer', True) True False",
        "finished True reaped",
        "then failing kept",
    ]
