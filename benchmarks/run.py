#!/usr/bin/env python3
"""Benchmark: Sahifa against Hugo (and Pelican when installed) on the same generated site.

    python benchmarks/run.py [--sizes 1000 10000] [--runs 5] [--work /tmp/sahifa-bench]

Generates the corpora with ``benchmarks/corpus.py`` (plain layout for Sahifa, hugo layout for
Hugo; ``--make-corpus`` names another generator with the same arguments), then, for each
size, times in alternation (A B A B ...):
  cold      Sahifa build with an empty output folder and no cache  vs  Hugo cold build
            (and the same build with --no-search: Hugo's site has no search index)
  no-op     Sahifa rebuild with nothing changed (the cache's fingerprint check)  vs  Hugo
            rebuild into its existing output folder (Hugo has no incremental command-line
            build: every run renders everything)
  newsroom  the day's work, the same change made to both sites, each followed by a build:
            publish one new story (dated newer than the archive), correct one story (a
            line added to an old one), delete one story (the one just published)
  serve     the same three changes while ``build.py serve`` runs: seconds from the save to
            the server answering with the change (the new story's page, the corrected text,
            a 404 for the deleted story); and the older one-edit timing (saves 1.5 s apart)
and prints medians (min-max) of wall time and peak memory (largest single process), with
ratios against Hugo. Whole-process figures from ``os.wait4``.
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
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAKE_CORPUS = REPO / "benchmarks" / "corpus.py"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The builds run as an installed Python runs them by default: modules compiled once into
``__pycache__`` (a shell that sets ``PYTHONDONTWRITEBYTECODE`` would make every build
compile Sahifa's modules again, about 0.06 s)."""


def run(cmd: list[str], cwd: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB, largest process of the tree as the kernel reports it), exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def start_server(site: Path, out: Path) -> tuple[subprocess.Popen, str]:
    """``build.py serve`` on a free local port, in a session of its own; (process, base URL)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        sahifa(site, out) + ["serve", "--port", str(port)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def serve_edit(site: Path, out: Path, edits: int) -> list[float]:
    """Seconds from saving an article to the served page containing the change."""
    proc, base = start_server(site, out)
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


def bench(size: int, runs: int, work: Path, serve: bool = True) -> None:
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
    if serve:
        print(f"serve: edit -> served  {fmt(serve_edit(plain, out, max(3, runs)))}")
    newsroom(plain, hugo_site, out, hugo_out, hugo, runs, serve)


# ---- the newsroom's day: publish, correct, delete ---------------------------------------
NEW_DATE = "2026-01-01T{h:02d}:{m:02d}:00+03:00"
"""Newer than every story of the corpus (2015-2025), older than the build's day."""


def _story_files(site: Path, hugo: bool) -> list[Path]:
    folder = site / "content" / "ar" / ("posts" if hugo else "")
    return sorted(p for p in folder.glob("story-*.md"))


def publish(site: Path, n: int, hugo: bool) -> str:
    """A new Arabic story, the newest of the site (a copy of the first story with its own
    slug, date, title and translation key); returns its slug."""
    import re

    text = _story_files(site, hugo)[0].read_text(encoding="utf-8")
    slug = f"bench-new-{n}"
    text = re.sub(r"(?m)^date: .*$", "date: " + NEW_DATE.format(h=n // 60 % 24, m=n % 60), text, count=1)
    text = re.sub(r"(?m)^slug: .*$", f"slug: {slug}", text, count=1)
    text = re.sub(r'(?m)^title: "', f'title: "BENCH-NEW-{n} ', text, count=1)
    text = re.sub(r"(?m)^(translation_key|translationKey): .*$", rf"\1: bench{n}", text, count=1)
    folder = site / "content" / "ar" / ("posts" if hugo else "")
    (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    return slug


def correct(site: Path, n: int, hugo: bool) -> str:
    """A line added to the body of an old story (the tenth); returns its slug."""
    import re

    path = _story_files(site, hugo)[10]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f"\n\nBENCH-CORRECTION-{n}\n", encoding="utf-8")
    return re.search(r"(?m)^slug: (.*)$", text).group(1).strip()


def delete(site: Path, n: int, hugo: bool) -> str:
    """The story ``publish(n)`` added, deleted; returns its slug."""
    slug = f"bench-new-{n}"
    (site / "content" / "ar" / ("posts" if hugo else "") / f"{slug}.md").unlink()
    return slug


ACTIONS = (("publish one new story", publish), ("correct one story", correct), ("delete one story", delete))


def newsroom(
    plain: Path, hugo_site: Path, out: Path, hugo_out: Path, hugo: str | None, runs: int, serve: bool = True
) -> None:
    """Each action made to both sites, each site rebuilt; then the same under ``serve``."""
    clear(plain, out)
    cold = run(sahifa(plain, out))
    hugo_cold = None
    if hugo:
        shutil.rmtree(hugo_out, ignore_errors=True)
        hugo_cold = run([hugo, "-s", str(hugo_site), "-d", str(hugo_out), "--quiet"])
    rows: dict[str, tuple[list, list, list, list]] = {name: ([], [], [], []) for name, _ in ACTIONS}
    hugo_noop = []
    for n in range(runs):
        for name, action in ACTIONS:
            action(plain, n, False)
            wall, mem, code = run(sahifa(plain, out))
            if code not in (0, 1):
                raise SystemExit(f"sahifa build failed with exit code {code}")
            rows[name][0].append(wall)
            rows[name][1].append(mem)
            if hugo:
                action(hugo_site, n, True)
                hwall, hmem, _ = run([hugo, "-s", str(hugo_site), "-d", str(hugo_out), "--quiet"])
                rows[name][2].append(hwall)
                rows[name][3].append(hmem)
        if hugo:
            hugo_noop.append(run([hugo, "-s", str(hugo_site), "-d", str(hugo_out), "--quiet"])[0])
    noop = [run(sahifa(plain, out)) for _ in range(runs)]
    print("\n| change, then build (command line) | Sahifa | Hugo | Sahifa/Hugo |")
    print("|---|---|---|---|")
    hugo_cell = f"{hugo_cold[0]:.2f} s, {hugo_cold[1]:.0f} MiB" if hugo_cold else "-"
    ratio = f"{cold[0] / hugo_cold[0]:.3f}x" if hugo_cold else "-"
    print(
        f"| cold build (the one before the changes) | {cold[0]:.2f} s, {cold[1]:.0f} MiB | {hugo_cell} | {ratio} |"
    )
    walls = [w for w, _, _ in noop]
    mems = [m for _, m, _ in noop]
    hugo_cell = f"{fmt(hugo_noop)}" if hugo_noop else "-"
    ratio = f"{statistics.median(walls) / statistics.median(hugo_noop):.3f}x" if hugo_noop else "-"
    print(f"| nothing changed | {fmt(walls)}, {statistics.median(mems):.0f} MiB | {hugo_cell} | {ratio} |")
    for name, (walls, mems, hwalls, hmems) in rows.items():
        hugo_cell = f"{fmt(hwalls)}, {statistics.median(hmems):.0f} MiB" if hwalls else "-"
        ratio = f"{statistics.median(walls) / statistics.median(hwalls):.3f}x" if hwalls else "-"
        print(f"| {name} | {fmt(walls)}, {statistics.median(mems):.0f} MiB | {hugo_cell} | {ratio} |")
    if not serve:
        return
    served, whole, peak = serve_newsroom(plain, out, runs)
    print("\n| change under `serve` | saved -> on screen | saved -> the home page right too |")
    print("|---|---|---|")
    for name, times in served.items():
        print(f"| {name} | {fmt(times)} | {fmt(whole[name])} |")
    print(f"(server peak memory {peak:.0f} MiB)")


def serve_newsroom(
    site: Path, out: Path, runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], float]:
    """Seconds from each save to the server answering with the change on the story's own
    address (its page, the corrected text, a 404 for the deleted story), and to the language's
    home page being right too (listing the new story, no longer listing the deleted one: the
    build that places the story is done); then the server's peak memory (largest process)
    when it is stopped. Each change is made on a settled server: after the one before is
    complete, and two seconds more."""
    proc, base = start_server(site, out)

    def fetch(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"{base}/{path}", timeout=5) as answer:
                return answer.status, answer.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, ""
        except OSError:
            return 0, ""

    def page(slug: str) -> tuple[int, str]:
        return fetch(f"ar/articles/{slug}/")

    def wait(condition, start: float, name: str) -> float:
        while not condition():
            if time.perf_counter() - start > 600:
                raise RuntimeError(f"{name} never showed up")
            time.sleep(0.01)
        return time.perf_counter() - start

    served: dict[str, list[float]] = {name: [] for name, _ in ACTIONS}
    whole: dict[str, list[float]] = {name: [] for name, _ in ACTIONS}
    try:
        deadline = time.time() + 900
        while time.time() < deadline and page("")[0] == 0:
            time.sleep(0.2)
        time.sleep(2.0)  # the first build's follow-up work (feeds, search) settles
        for n in range(100, 100 + runs):
            for name, action in ACTIONS:
                start = time.perf_counter()
                slug = action(site, n, False)
                mark = f"BENCH-NEW-{n}"
                if action is publish:
                    done = lambda: mark in page(slug)[1]  # noqa: E731
                    complete = lambda: mark in fetch("ar/")[1]  # noqa: E731
                elif action is correct:
                    done = complete = lambda: f"BENCH-CORRECTION-{n}" in page(slug)[1]  # noqa: E731
                else:
                    done = lambda: page(slug)[0] == 404  # noqa: E731
                    complete = lambda: mark not in fetch("ar/")[1]  # noqa: E731
                served[name].append(wait(done, start, name))
                whole[name].append(wait(complete, start, name))
                time.sleep(2.0)  # let the server settle between saves
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, _, usage = os.wait4(proc.pid, 0)
    return served, whole, usage.ru_maxrss / 1024


def main() -> int:
    global MAKE_CORPUS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", default="/tmp/sahifa-bench")
    parser.add_argument(
        "--newsroom-only",
        action="store_true",
        help="only one cold build of each, then the publish/correct/delete rows (for 100,000 articles)",
    )
    parser.add_argument("--no-serve", action="store_true", help="leave out the rows under serve")
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
        if args.newsroom_only:
            plain, hugo_site = make_site(size, work)
            print(f"\n## {size:,} articles")
            newsroom(
                plain,
                hugo_site,
                work / f"out_{size}",
                work / f"hugo_out_{size}",
                shutil.which("hugo"),
                args.runs,
                serve=not args.no_serve,
            )
        else:
            bench(size, args.runs, work, serve=not args.no_serve)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
