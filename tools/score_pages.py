"""Score the seed reader on the page copies in ``tests/pages/<split>/``.

    python tools/score_pages.py [dev|blind] [--show-misses]

Each split holds page copies (``*.txt``) written in the shapes of real outlets' pages, with
story text of our own, and ``answers*.json`` files giving, per file, the headline, the
publication date (ISO, Gregorian), the language, the body paragraphs and chrome lines that must
not remain. Five checks per file:

- title: the headline, white space folded;
- date: the publication date (files whose page shows none are not scored for it);
- lang: the language code;
- boilerplate: each chrome line is absent from the title and paragraphs read;
- paragraphs: each body paragraph survives (its last 60 characters are in what was read;
  the start may lose a dateline).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "tests" / "pages"
FIELDS = ("title", "date", "lang", "boilerplate", "paragraphs")


def fold(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def answers(split: str) -> list[dict]:
    found = []
    for path in sorted((PAGES / split).glob("answers*.json")):
        found.extend(json.loads(path.read_text(encoding="utf-8"))["articles"])
    return sorted(found, key=lambda a: a["file"])


def score(split: str) -> tuple[dict[str, list[int]], list[tuple[str, str, str, str]]]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator.errors import SahifaError
    from generator.seeds import read_seed

    totals = {field: [0, 0] for field in FIELDS}
    misses: list[tuple[str, str, str, str]] = []

    def check(name: str, field: str, ok: bool, want: str, have: str) -> None:
        totals[field][1] += 1
        totals[field][0] += ok
        if not ok:
            misses.append((name, field, want, have))

    folder = PAGES / split
    for answer in answers(split):
        name = answer["file"]
        try:
            record = read_seed(folder / name, folder)
        except SahifaError as exc:
            for field in FIELDS:
                check(name, field, False, "a record", str(exc))
            continue
        check(name, "title", fold(record.title) == fold(answer["title"]), answer["title"], record.title)
        if answer.get("published"):
            have = record.date.isoformat() if record.date else ""
            check(name, "date", have == answer["published"][:10], answer["published"][:10], have)
        check(name, "lang", record.lang == answer["lang"], answer["lang"], record.lang)
        body = fold(" ".join([record.title or "", *record.paragraphs]))
        for line in answer.get("boilerplate") or ():
            check(name, "boilerplate", fold(line) not in body, "absent", line)
        text = fold(" ".join(record.paragraphs))
        for paragraph in answer.get("paragraphs") or ():
            tail = fold(paragraph)[-60:]
            check(name, "paragraphs", tail in text, "kept", paragraph[:80])
    return totals, misses


def summary(totals: dict[str, list[int]]) -> str:
    parts = [f"{field} {ok}/{n}" for field, (ok, n) in totals.items()]
    ok = sum(v[0] for v in totals.values())
    n = sum(v[1] for v in totals.values())
    return ", ".join(parts) + f" | overall {ok}/{n} ({100 * ok / max(1, n):.0f} %)"


def main(argv: list[str]) -> int:
    split = next((a for a in argv if not a.startswith("--")), "dev")
    totals, misses = score(split)
    if "--show-misses" in argv:
        for miss in misses:
            print("MISS", *miss, sep=" | ")
    print(f"{split}: {summary(totals)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
