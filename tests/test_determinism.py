"""Deterministic output: two builds of the same input are byte-identical, file for file.

No timestamps, no dependence on reading order, dictionary order, the time of day or the
build folder. Slug collisions are resolved the same way every time, and reported.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, copy_site


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def run(site: Path, out: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(site), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def add_collisions(site: Path) -> None:
    """Three articles whose titles give one slug, written in an order unlike their names."""
    folder = site / "content" / "ar"
    folder.mkdir(parents=True, exist_ok=True)
    for name, day in (("zz-last.md", "03"), ("aa-first.md", "01"), ("mm-middle.md", "02")):
        (folder / name).write_text(
            f"---\ntitle: عاجل\ndate: 2022-01-{day}\ntags: [خبر]\n---\n\n{name}\n", encoding="utf-8"
        )


def test_two_builds_are_byte_identical(tmp_path):
    site = copy_site(tmp_path / "site")
    add_collisions(site)
    first = run(site, tmp_path / "out1", PYTHONHASHSEED="1", TZ="UTC")
    second = run(site, tmp_path / "out2", PYTHONHASHSEED="2", TZ="Asia/Tehran")
    assert first.returncode in (0, 1), first.stderr
    assert second.returncode == first.returncode
    a, b = tree(tmp_path / "out1"), tree(tmp_path / "out2")
    assert len(a) > 50
    assert sorted(a) == sorted(b), set(a) ^ set(b)
    changed = [p for p in a if a[p] != b[p]]
    assert changed == [], changed[:20]
    # Messages too: same lines in the same order.
    assert first.stderr == second.stderr


def test_rebuild_in_place_is_identical(tmp_path):
    """Building again into the same folder (the usual case) changes no byte."""
    site = copy_site(tmp_path / "site")
    assert run(site, site / "public").returncode in (0, 1)
    before = tree(site / "public")
    assert run(site, site / "public").returncode in (0, 1)
    assert tree(site / "public") == before


def test_slug_collisions_are_stable_and_reported(tmp_path):
    site = copy_site(tmp_path / "site", content=False, seeds=False)
    add_collisions(site)
    proc = run(site, site / "public")
    assert proc.returncode == 0 and "warning: " in proc.stderr  # renamed, reported, built
    articles = site / "public/ar/articles"
    by_slug = {d.name: (d / "index.html").read_text(encoding="utf-8") for d in articles.iterdir()}
    # Sorted source paths decide: aa-first keeps the plain slug, then mm-, then zz-.
    assert "aa-first.md" in by_slug["عاجل"]
    assert "mm-middle.md" in by_slug["عاجل-2"]
    assert "zz-last.md" in by_slug["عاجل-3"]
    lines = proc.stderr.splitlines()
    assert any("content/ar/mm-middle.md" in line and "عاجل-2" in line for line in lines)
    assert any("content/ar/zz-last.md" in line and "عاجل-3" in line for line in lines)
