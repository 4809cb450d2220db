"""Reading and rendering in several processes gives the same site, byte for byte."""

from __future__ import annotations

import filecmp

import generator.parallel as parallel
from conftest import build, copy_site


def tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_parallel_build_equals_serial_build(tmp_path, monkeypatch):
    root = copy_site(tmp_path / "site")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 10**9)
    serial_report, serial = build(root, tmp_path / "serial")
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.worker_count(50) == 2
    parallel_report, par = build(root, tmp_path / "parallel")
    assert tree(serial) == tree(par) and len(tree(par)) > 50
    _, mismatch, errors = filecmp.cmpfiles(serial, par, tree(serial), shallow=False)
    assert mismatch == [] and errors == []
    assert serial_report.problems == parallel_report.problems
    assert serial_report.notices == parallel_report.notices


def test_map_in_processes_keeps_order(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_ITEMS", 1)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 3)
    assert parallel.map_in_processes(abs, list(range(-20, 0))) == list(range(20, 0, -1))
