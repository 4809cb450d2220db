#!/usr/bin/env python3
"""Fuzz every reader: no input may crash one (anything but a ``SahifaError`` naming the file),
hang it (past the per-article time limit) or make its memory grow without bound.

    python tools/fuzz.py --seconds 60                 # every target, 60 s each
    python tools/fuzz.py --target markdown --seconds 600
    python tools/fuzz.py --curves                     # time against size for the slow shapes

With ``atheris`` installed (``pip install atheris``; not a dependency of Sahifa) the fuzzing is
coverage-guided; without it, a mutation fuzzer seeded with inputs of every kind runs instead.
Each target prints one JSON line: runs, failures (with the input that caused them, saved under
``fuzz-failures/``), the slowest input and the peak memory. ``docs/limits.md`` records the
figures of a run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIMIT = 5.0
"""Seconds one input may take before it counts as a hang (the build's limit is 10)."""

SEEDS = [
    "عنوان\nعنوان\nدمشق - سانا - 11 كانون الثاني 2022 - نص الخبر.\n(تستمر)\n",
    "---\ntitle: x\ndate: 2022-01-11\ntags: [a, b]\n---\n\n*a* [b](http://c) <b>d</b>\n",
    "<html><head><title>t | s</title></head><body><article><h1>t</h1><p>x</p></article></body></html>",
    "title: x\ndate: 2022-01-11 14:30\nimage: {src: a.jpg, alt: b}\ntags: a, b\n",
    "الأحد 11 كانون الثاني/يناير 2022 - 8 جمادى الآخرة 1443 هـ",
    "سه‌شنبه ۲۱ دی ۱۴۰۰ - ۲۰:۰۸",
]
PIECES = [
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "*",
    "_",
    "`",
    "\\",
    "&",
    "#",
    "-",
    "+",
    "|",
    ":",
    "~",
    "!",
    "\n",
    "\n\n",
    "    ",
    "---",
    "\u202e",
    "\u200c",
    "\ufffc",
    "\u3164",
    "\x00",
    "\ud800",
    "\x1b",
    "<a ",
    "<div>",
    "</div>",
    "<p>",
    "![a](<",
    "<http://",
    "*[A]: b\n",
    "&#x",
    "{: .x}",
    "2022",
    "١٤٤٣",
    "هـ",
    "كانون",
    "دی",
    "1/2/3",
    "T14:30+03:00",
    "&a",
    "*a",
    "%",
    "'",
    '"',
]


def _targets():
    from generator import htmltext
    from generator.content import parse_markdown
    from generator.dateparse import find_date, parse_date_expression
    from generator.decode import decode_bytes
    from generator.errors import SahifaError
    from generator.fields import DEFAULT_SCHEMA, load_yaml, read_fields
    from generator.importer import escape_markdown
    from generator.markup import html_to_paragraphs, markdown_to_html
    from generator.seeds import parse_seed

    def seed(text: str) -> None:
        parse_seed(text, "seeds/fuzz.txt")

    def markdown(text: str) -> None:
        parse_markdown(text, "content/en/fuzz.md", "en")

    def html(text: str) -> None:
        htmltext.extract(text)

    def yaml_fields(text: str) -> None:
        read_fields(load_yaml(text, "fuzz.yml", "sidecar"), "fuzz.yml", DEFAULT_SCHEMA)

    def dates(text: str) -> None:
        find_date(text[:2000])
        parse_date_expression(text[:200])

    def decode(text: str) -> None:
        decode_bytes(
            text.encode("utf-8", "surrogatepass")[::-1] + text.encode("utf-8", "surrogatepass"), "fuzz"
        )

    def import_round_trip(text: str) -> None:
        paragraph = " ".join(text.split())
        if not paragraph or any("\ud800" <= ch <= "\udfff" or ch < " " for ch in paragraph):
            return
        got = html_to_paragraphs(markdown_to_html(escape_markdown(paragraph)))
        if got != [paragraph]:
            raise AssertionError(f"import round trip changed {paragraph!r} into {got!r}")

    return {
        "seed": seed,
        "markdown": markdown,
        "html": html,
        "yaml": yaml_fields,
        "dates": dates,
        "decode": decode,
        "import": import_round_trip,
    }, SahifaError


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        at = rng.randint(0, len(text))
        if choice < 0.5:
            text = text[:at] + rng.choice(PIECES) * rng.choice((1, 1, 2, 10, 100, 1000)) + text[at:]
        elif choice < 0.7 and text:
            end = min(len(text), at + rng.randint(1, 50))
            text = text[:at] + text[end:]
        elif choice < 0.85 and text:
            end = min(len(text), at + rng.randint(1, 200))
            text = text[:at] + text[at:end] * rng.randint(2, 50) + text[end:]
        else:
            text = text[:at] + rng.choice(SEEDS) + text[at:]
    return text[:200_000]


def run_target(name: str, func, expected_error, seconds: float, use_atheris: bool, out: Path) -> dict:
    from generator.budget import Overrun, time_limit

    stats = {
        "target": name,
        "engine": "atheris" if use_atheris else "mutation",
        "seconds": seconds,
        "runs": 0,
        "failures": 0,
        "slowest_s": 0.0,
        "slowest_size": 0,
    }

    def one(text: str) -> None:
        stats["runs"] += 1
        start = time.perf_counter()
        try:
            with time_limit(LIMIT):
                func(text)
        except expected_error:
            pass
        except Overrun:
            _fail(stats, name, text, "hang", out)
        except RecursionError:
            _fail(stats, name, text, "recursion", out)
        except Exception as exc:  # noqa: BLE001 - what the fuzzer is looking for
            _fail(stats, name, text, f"{type(exc).__name__}: {exc}"[:300], out)
        took = time.perf_counter() - start
        if took > stats["slowest_s"]:
            stats["slowest_s"], stats["slowest_size"] = round(took, 3), len(text)

    if use_atheris:
        import atheris

        deadline = time.monotonic() + seconds

        def test_one(data: bytes) -> None:
            if time.monotonic() > deadline:
                # libFuzzer has no clean way back to the caller: report and leave.
                stats["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
                print(json.dumps(stats, ensure_ascii=False), flush=True)
                os._exit(1 if stats["failures"] else 0)
            one(atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data)))

        atheris.Setup([sys.argv[0], "-rss_limit_mb=4096"], test_one)
        atheris.Fuzz()
    else:
        rng = random.Random(name)
        deadline = time.monotonic() + seconds
        pool = list(SEEDS)
        while time.monotonic() < deadline:
            text = _mutate(rng, rng.choice(pool))
            one(text)
            if len(pool) < 500 and rng.random() < 0.05:
                pool.append(text[:5000])
    stats["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return stats


def _fail(stats: dict, name: str, text: str, why: str, out: Path) -> None:
    stats["failures"] += 1
    out.mkdir(exist_ok=True)
    path = out / f"{name}-{stats['failures']:03d}.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    stats.setdefault("examples", []).append({"why": why, "file": str(path)})


# ---- curves: time against size for the shapes that once were superlinear -----------------------
SHAPES = {
    "markdown: nested brackets": lambda n: "[" * n + "a" + "]" * n,
    "markdown: unclosed '<a '": lambda n: "<a " * n,
    "markdown: '![a](<'": lambda n: "![a](<" * n,
    "markdown: '<http://'": lambda n: "<http://" * n,
    "markdown: abbreviations": lambda n: (
        "".join(f"*[A{i}]: x\n" for i in range(n)) + "\n" + " ".join(f"A{i}" for i in range(n))
    ),
    "markdown: nested list levels": lambda n: "".join("    " * i + "- x\n" for i in range(n)),
    "markdown: definition items": lambda n: "".join(f"t{i}\n: d{i}\n\n" for i in range(n)),
    "html: paragraphs under 250 divs": lambda n: "<div>" * 250 + "<p>x</p>" * n + "</div>" * 250,
    "tags in one field": lambda n: "tags: [" + ", ".join(f"t{i}" for i in range(n)) + "]\n",
}


def curves(sizes: list[int]) -> list[dict]:
    from generator import htmltext
    from generator.budget import Overrun, time_limit
    from generator.fields import DEFAULT_SCHEMA, load_yaml, read_fields
    from generator.markup import markdown_to_html

    rows = []
    for name, make in SHAPES.items():
        for n in sizes:
            text = make(n)
            start = time.perf_counter()
            status = "ok"
            try:
                with time_limit(LIMIT * 2):
                    if name.startswith("markdown"):
                        markdown_to_html(text)
                    elif name.startswith("html"):
                        htmltext.extract(text)
                    else:
                        read_fields(load_yaml(text, "x.yml", "sidecar"), "x.yml", DEFAULT_SCHEMA)
            except Overrun:
                status = "stopped"
            except Exception as exc:  # noqa: BLE001
                status = type(exc).__name__
            rows.append(
                {
                    "shape": name,
                    "n": n,
                    "bytes": len(text.encode()),
                    "seconds": round(time.perf_counter() - start, 3),
                    "status": status,
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            if status == "stopped":
                break
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", action="append", help="one of the targets (default: all)")
    ap.add_argument("--seconds", type=float, default=30.0, help="fuzzing time per target")
    ap.add_argument("--engine", choices=("auto", "atheris", "mutation"), default="auto")
    ap.add_argument("--out", default="fuzz-failures", help="folder for failing inputs")
    ap.add_argument("--curves", action="store_true", help="measure time against size instead")
    args = ap.parse_args()
    if args.curves:
        curves([500, 1000, 2000, 4000, 8000, 16000])
        return 0
    targets, expected = _targets()
    names = args.target or list(targets)
    use_atheris = args.engine == "atheris"
    if args.engine == "auto":
        import importlib.util

        # libFuzzer runs one target per process.
        use_atheris = importlib.util.find_spec("atheris") is not None and len(names) == 1
    failed = 0
    for name in names:
        stats = run_target(name, targets[name], expected, args.seconds, use_atheris, Path(args.out))
        failed += stats["failures"]
        print(json.dumps(stats, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
