"""Atomic output: a build killed at any moment leaves the previous ``public/`` complete and
unchanged, and the next build recovers (``generator.write.recover``) and succeeds.

A scratch site with a few thousand small articles makes the build long enough to be killed
while it reads, renders, writes and commits. ``SIGKILL`` gives the build no chance to clean up,
like a power cut or the OOM killer.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, copy_site

pytestmark = pytest.mark.slow  # kills real builds at random moments, many times

ARTICLES = 3000


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def build_cmd(site: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(site), "--out", str(site / "public")]


def write_articles(site: Path, count: int, marker: str) -> None:
    folder = site / "content" / "en"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"a{i:05d}.md").write_text(
            f"---\ntitle: Article {i} {marker}\ndate: 2022-01-{1 + i % 28:02d}\n"
            f"tags: [t{i % 40}, common]\n---\n\nBody of article {i}, {marker}.\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    """A site with ``ARTICLES`` articles, built once; returns (site, hashes of public/)."""
    site = copy_site(tmp_path_factory.mktemp("atomic") / "site", content=False, seeds=False)
    write_articles(site, ARTICLES, "first")
    proc = subprocess.run(build_cmd(site), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before = tree(site / "public")
    assert len(before) > ARTICLES
    # The next build has different content, so a half-swapped folder would be visible.
    write_articles(site, ARTICLES, "second")
    # What a complete build of the new content is (byte-identical to an incremental one).
    expected = site.parent / "expected-second"
    proc = subprocess.run(
        build_cmd(site)[:-2] + ["--out", str(expected), "--no-cache"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return site, before, tree(expected)


def leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if p.name.startswith(".public"))


def kill_after(site: Path, seconds: float) -> str:
    """Start a build, SIGKILL it after ``seconds``; returns how far it got (for the report)."""
    proc = subprocess.Popen(
        build_cmd(site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(seconds)
    finished = proc.poll() is not None
    if not finished:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return "finished" if finished else "killed"


@pytest.mark.parametrize("seconds", [0.2, 0.5, 1.0, 2.0, 4.0])
def test_killed_build_leaves_previous_site(big_site, seconds):
    site, _, new = big_site
    before = tree(site / "public")  # whatever the last complete build left
    state = kill_after(site, seconds)
    assert (site / "public").is_dir(), f"public/ is missing after a build {state}"
    now = tree(site / "public")
    if state == "finished":  # (the cache that killed builds left made it quick) the new site, whole
        assert now == new, "public/ after a finished build is not the clean build's"
        return
    # Killed before its swap: the old site; after it (saving its cache): the complete new one.
    assert now == before or now == new, "public/ is a mix after a killed build"


def test_kill_during_commit(big_site):
    """Kill the build as close to its commit as we can get: poll for the staging folder to
    reach its final size, then kill. Whatever moment we hit, public/ must be one complete
    build (the old one or the new one), never a mix or missing."""
    site, _, _ = big_site
    before = tree(site / "public")
    proc = subprocess.Popen(
        build_cmd(site), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            stages = [p for p in site.iterdir() if p.name.startswith(".public.new-")]
            if stages and (stages[0] / "static").exists():
                break  # static files are copied last, just before the swap
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    public = site / "public"
    assert public.is_dir() or (site / ".public.old").is_dir(), "no complete site left anywhere"
    if public.is_dir():
        now = tree(public)
        if now != before:  # the swap happened: it must be the complete new build
            # Article pages and search-index shards depend on the text, which changed.
            assert set(now) >= {p for p in before if "/articles/" not in p and "/search/index/" not in p}
            assert any(
                "second" in (public / p).read_text(encoding="utf-8")
                for p in now
                if p.endswith("en/index.html")
            )
        # (else: the old site, unchanged)


def test_next_build_recovers(big_site):
    site, _, new = big_site
    kill_after(site, 1.0)
    proc = subprocess.run(build_cmd(site), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert leftovers(site) == [], "staging folders left behind after a successful build"
    home = (site / "public/en/index.html").read_text(encoding="utf-8")
    assert "second" in home
    assert tree(site / "public") == new


def test_recover_puts_old_site_back(tmp_path):
    """A build killed between the two renames of the fallback commit (no RENAME_EXCHANGE):
    ``public/`` is missing and ``.public.old`` holds the site; ``recover`` puts it back."""
    from generator.write import recover

    old = tmp_path / ".public.old"
    (old / "en").mkdir(parents=True)
    (old / "en/index.html").write_text("old site", encoding="utf-8")
    stage = tmp_path / ".public.new-abc"
    stage.mkdir()
    (stage / "half.html").write_text("half", encoding="utf-8")
    recover(tmp_path / "public")
    assert (tmp_path / "public/en/index.html").read_text(encoding="utf-8") == "old site"
    assert not stage.exists() and not old.exists()


def test_failed_build_keeps_old_output(tmp_path):
    """g10: a broken template makes the build fail (exit 2); the old output stays, byte for byte."""
    site = copy_site(tmp_path / "site", content=False, seeds=False)
    write_articles(site, 5, "ok")
    cmd = build_cmd(site)
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    before = tree(site / "public")
    base = site / "templates/base.html"
    base.write_text(
        base.read_text(encoding="utf-8").replace("{% endblock %}", "{% endblock", 1), encoding="utf-8"
    )
    write_articles(site, 6, "broken")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "left as it was" in proc.stderr
    assert tree(site / "public") == before
    assert leftovers(site) == []


# ---- interrupted incremental builds: random moments, every signal -------------------------------
SIGNAL_ARTICLES = 1000
"""Above ``parallel.MIN_PARALLEL_ITEMS``: the build uses its worker pool, where an interrupt
once left a worker holding a queue lock and the build hanging."""


@pytest.fixture(scope="module")
def two_states(tmp_path_factory):
    """A site whose content alternates between two versions, and the output of a clean build
    of each (incremental builds are byte-identical to clean ones)."""
    site = copy_site(tmp_path_factory.mktemp("signals") / "site", content=False, seeds=False)
    trees = {}
    for marker in ("alpha", "beta"):
        write_articles(site, SIGNAL_ARTICLES, marker)
        out = site.parent / f"clean-{marker}"
        proc = subprocess.run(
            build_cmd(site)[:-2] + ["--out", str(out), "--no-cache"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        trees[marker] = tree(out)
    # public/ starts as the beta site, built with the cache (the next builds are incremental).
    proc = subprocess.run(build_cmd(site), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert tree(site / "public") == trees["beta"]
    return site, trees


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupted_incremental_builds_leave_all_old_or_all_new(two_states, sig):
    """Loops of random interrupt moments on incremental builds: ``public/`` is always one
    complete site (the old or the new), SIGINT/SIGTERM exit 130/143 without a traceback and
    without hanging, and the next build completes."""
    import random

    site, trees = two_states
    rng = random.Random(int(sig))
    current = "beta" if tree(site / "public") == trees["beta"] else "alpha"
    # How long one incremental build takes here: the interrupts land anywhere in it (reading,
    # rendering in the pool, committing) and sometimes just after it.
    current = "alpha" if current == "beta" else "beta"
    write_articles(site, SIGNAL_ARTICLES, current)
    start = time.monotonic()
    proc = subprocess.run(build_cmd(site), capture_output=True, text=True, timeout=900)
    duration = time.monotonic() - start
    assert proc.returncode == 0 and tree(site / "public") == trees[current], proc.stderr[-2000:]
    outcomes = []
    for round_ in range(6):
        target = "alpha" if current == "beta" else "beta"
        write_articles(site, SIGNAL_ARTICLES, target)
        proc = subprocess.Popen(
            build_cmd(site), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        time.sleep(rng.uniform(1.0, max(1.5, duration * 1.1)))  # after the interpreter's start-up
        if proc.poll() is None:
            if sig == signal.SIGKILL:
                os.killpg(proc.pid, sig)  # the whole group: workers too, as the OOM killer might
            else:
                os.kill(proc.pid, sig)  # the build itself, as a terminal or a service manager does
        started = time.monotonic()
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the build did not stop within 60 s of {sig.name}")
        now = tree(site / "public")
        assert now in (trees[current], trees[target]), "public/ is a mix of two builds"
        if proc.returncode == 0:
            assert now == trees[target]
        elif sig != signal.SIGKILL and proc.returncode == -int(sig):
            # The signal came while the interpreter was starting or finishing, outside
            # Sahifa's code (Python restores the default action when it shuts down): killed
            # before it wrote anything, or after its build was complete.
            assert not err
        elif sig != signal.SIGKILL:
            assert proc.returncode == 128 + int(sig), (proc.returncode, err[-2000:])
            assert "Traceback" not in err and "interrupted" in err, err[-2000:]
        outcomes.append(
            (
                round_,
                proc.returncode,
                "new" if now == trees[target] else "old",
                round(time.monotonic() - started, 1),
            )
        )
        assert "waiting for another Sahifa run" not in err, err[-2000:]
        current = "beta" if now == trees["beta"] else "alpha"
        assert not [p for p in site.iterdir() if p.name.startswith(".public.new-")] or sig == signal.SIGKILL
    # Whatever happened, the next build completes and is exactly the clean build.
    proc = subprocess.run(build_cmd(site), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        tree(site / "public")
        == trees[
            current if tree(site / "public") == trees[current] else ("alpha" if current == "beta" else "beta")
        ]
    )
    print(sig.name, f"{duration:.1f}s", outcomes)
