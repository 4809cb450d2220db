#!/usr/bin/env python3
"""Benchmark: Sahifa against Hugo (and Pelican when installed) on the same generated site.

    python benchmarks/run.py [--sizes 1000 10000] [--runs 5] [--work /tmp/sahifa-bench]

Generates the corpora with ``benchmarks/corpus.py`` (plain layout for Sahifa, hugo layout for
Hugo; ``--make-corpus`` names another generator with the same arguments), then, for each
size, times in alternation (A B A B ...):
  cold      Sahifa build with an empty output folder and no cache  vs  Hugo cold build
            (and the same build with --no-search: Hugo's site has no search index)
  no-op     Sahifa rebuild with nothing changed (the cache's fingerprint check)
  one-edit  Sahifa rebuild after one article changed (cached records, changed files written)
  serve     one article saved while ``build.py serve`` runs -> the new text is served (the
            server's quick update; the saves are 1.5 s apart, so most land while the full
            build that follows each quick update is running, as when someone types and saves)
and prints medians (min-max) of wall time and peak memory (largest single process), with
ratios against Hugo's cold build. Whole-process figures from ``os.wait4``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE_CORPUS = REPO / "benchmarks" / "corpus.py"


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB, largest process of the tree as the kernel reports it), exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def make_site(size: int, work: Path) -> tuple[Path, Path]:
    plain, hugo = work / f"plain_{size}", work / f"hugo_{size}"
    for layout, path in (("plain", plain), ("hugo", hugo)):
        if not path.exists():
            subprocess.run(
                [
                    sys.executable,
                    str(MAKE_CORPUS),
                    "--articles",
                    str(size),
                    "--out",
                    str(path),
                    "--layout",
                    layout,
                    "--seed",
                    "1",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
    for name in ("site.toml", "templates", "static", "locale"):
        src, dst = REPO / name, plain / name
        if dst.exists():
            shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.exists():
            shutil.copy2(src, dst)
    (plain / "seeds").mkdir(exist_ok=True)
    return plain, hugo


def sahifa(site: Path, out: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(site), "--out", str(out)]


def clear(site: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".sahifa-cache", ignore_errors=True)


def fmt(values: list[float], unit: str = "s") -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def edit_article(site: Path, n: int) -> Path:
    article = sorted((site / "content" / "ar").glob("*.md"))[0]
    text = article.read_text(encoding="utf-8")
    article.write_text(text.rstrip("\n") + f"\n\nBENCH-EDIT-{n}\n", encoding="utf-8")
    return article


def serve_edit(site: Path, out: Path, edits: int) -> list[float]:
    """Seconds from saving an article to the served page containing the change."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        sahifa(site, out) + ["serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/ar/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        times = []
        article = sorted((site / "content" / "ar").glob("*.md"))[0]
        original = article.read_text(encoding="utf-8")
        import yaml

        slug = yaml.safe_load(original.split("---")[1])["slug"]
        url = f"{base}/ar/articles/{slug}/"
        for n in range(edits):
            time.sleep(1.5)
            marker = f"SERVE-EDIT-{n}-{time.time_ns()}"
            start = time.perf_counter()
            article.write_text(original.rstrip("\n") + f"\n\n{marker}\n", encoding="utf-8")
            while True:
                try:
                    if marker in urllib.request.urlopen(url, timeout=5).read().decode("utf-8"):
                        break
                except OSError:
                    pass  # the server answers nothing while it rebuilds
                if time.perf_counter() - start > 300:
                    raise RuntimeError("edit never showed up")
                time.sleep(0.01)
            times.append(time.perf_counter() - start)
        article.write_text(original, encoding="utf-8")
        return times
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()


def bench(size: int, runs: int, work: Path) -> None:
    plain, hugo_site = make_site(size, work)
    out, hugo_out = work / f"out_{size}", work / f"hugo_out_{size}"
    hugo = shutil.which("hugo")
    cold, cold_mem, hugo_wall, hugo_mem, ratios = [], [], [], [], []
    bare, bare_ratios = [], []
    for _ in range(runs + 1):  # the first round is a warm-up
        clear(plain, out)
        wall, mem, code = run(sahifa(plain, out))
        if code not in (0, 1):
            raise SystemExit(f"sahifa build failed with exit code {code}")
        cold.append(wall)
        cold_mem.append(mem)
        # The same build without the search index (Hugo's site has none; the issue lets the
        # index be timed separately).
        clear(plain, out)
        bare.append(run(sahifa(plain, out) + ["--no-search"])[0])
        if hugo:
            shutil.rmtree(hugo_out, ignore_errors=True)
            hwall, hmem, _ = run([hugo, "-s", str(hugo_site), "-d", str(hugo_out), "--quiet"])
            hugo_wall.append(hwall)
            hugo_mem.append(hmem)
            ratios.append(wall / hwall)
            bare_ratios.append(bare[-1] / hwall)
    cold, cold_mem, bare = cold[1:], cold_mem[1:], bare[1:]
    clear(plain, out)
    run(sahifa(plain, out))  # the no-op and one-edit builds below start from a full build
    noop = [run(sahifa(plain, out))[0] for _ in range(runs)]
    edit = []
    for n in range(runs):
        edit_article(plain, n)
        edit.append(run(sahifa(plain, out))[0])
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"\n## {size:,} articles ({files:,} files written by Sahifa)")
    print(f"Sahifa cold build      {fmt(cold)}, peak {statistics.median(cold_mem):.0f} MiB")
    print(
        f"  without search index {fmt(bare)} (the index: {statistics.median(cold) - statistics.median(bare):.2f} s)"
    )
    if hugo:
        hugo_wall, hugo_mem, ratios, bare_ratios = hugo_wall[1:], hugo_mem[1:], ratios[1:], bare_ratios[1:]
        print(f"Hugo cold build        {fmt(hugo_wall)}, peak {statistics.median(hugo_mem):.0f} MiB")
        print(
            f"ratio Sahifa/Hugo      wall {fmt(ratios, 'x')}, "
            f"memory {statistics.median(cold_mem) / statistics.median(hugo_mem):.2f}x"
        )
        print(f"  without search index wall {fmt(bare_ratios, 'x')}")
    print(f"Sahifa no-op rebuild   {fmt(noop)}")
    print(f"Sahifa one-edit build  {fmt(edit)}")
    serve = serve_edit(plain, out, max(3, runs))
    print(f"serve: edit -> served  {fmt(serve)}")


def main() -> int:
    global MAKE_CORPUS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/sahifa-bench")
    parser.add_argument(
        "--make-corpus",
        default=str(MAKE_CORPUS),
        help="corpus generator taking --articles N --out DIR --layout plain|hugo "
        "--seed S (default: benchmarks/corpus.py)",
    )
    args = parser.parse_args()
    MAKE_CORPUS = Path(args.make_corpus)
    if not MAKE_CORPUS.exists():
        raise SystemExit(f"{MAKE_CORPUS} not found")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; hugo: {shutil.which('hugo') or 'not installed'}"
    )
    for size in args.sizes:
        bench(size, args.runs, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
