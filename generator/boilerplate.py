"""Boilerplate removal for scraped article text, driven by ``data/boilerplate.yml``.

Input: the lines (paragraphs) of a scraped text. Output: the lines that are article text and
the lines that were dropped (for warnings and inspection).

The catalogue is data: wire markers ((تستمر), (يتبع), - انتهى -), comment-widget labels,
share/"read also" lines, related-links sections, copyright lines, skip links, donation
banners, edit links ([عدل]) and print-view headers, per language. Every language's entries
are applied to every text, because scraped pages mix languages (an Arabic page with English
chrome). A rule never removes a long paragraph: ``end`` markers stop at the first long line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .textnorm import ARABIC_MARKS, match_key

_DATA = Path(__file__).with_name("data") / "boilerplate.yml"
_SHORT = 120
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪►]|\d{1,2}[.)])\s+")
_CAPTION_MAX = 100


@dataclass(frozen=True)
class Catalogue:
    lines: frozenset[str]
    patterns: tuple[re.Pattern, ...]
    inline: tuple[re.Pattern, ...]
    end: frozenset[str]
    blocks: tuple[tuple[re.Pattern, re.Pattern, int], ...]
    headers: tuple[str, ...]


def line_key(line: str) -> str:
    """Comparison key of a line: folded letters, no ZWNJ, single spaces."""
    return match_key(line, keep_zwnj=True).replace("\u200c", "")


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The merged catalogue of all languages (read once per process)."""
    with _DATA.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, dict):
        raise ValueError(f"{_DATA}: the boilerplate catalogue must be a mapping")
    lines, patterns, inline, end, blocks, headers = set(), [], [], set(), [], []
    for entry in raw.values():
        lines.update(line_key(x) for x in entry.get("lines") or ())
        patterns.extend(re.compile(p) for p in entry.get("patterns") or ())
        inline.extend(re.compile(p) for p in entry.get("inline") or ())
        end.update(line_key(x) for x in entry.get("end") or ())
        blocks.extend((re.compile(a), re.compile(b), int(n)) for a, b, n in entry.get("blocks") or ())
        headers.extend(entry.get("headers") or ())
    return Catalogue(
        frozenset(lines), tuple(patterns), tuple(inline), frozenset(end), tuple(blocks), tuple(headers)
    )


def is_boilerplate(line: str, cat: Catalogue | None = None) -> bool:
    """True when ``line`` (one paragraph) is catalogued chrome."""
    cat = cat or catalogue()
    text = line.strip()
    if not text:
        return True
    if len(text) > 400:  # catalogued lines are short; do not run patterns on long paragraphs
        return False
    key = line_key(text)
    if key in cat.lines or key in cat.end:
        return True
    if any(text.startswith(h) for h in cat.headers):
        return True
    bare = ARABIC_MARKS.sub("", text)  # "اقرأ أيضًا" as "اقرأ أيضا": patterns need no tashkeel
    return any(p.fullmatch(text) or p.fullmatch(bare) for p in cat.patterns)


def strip_inline(line: str, cat: Catalogue | None = None) -> str:
    """``line`` without inline chrome such as ``[عدل]`` edit links."""
    cat = cat or catalogue()
    for pattern in cat.inline:
        line = pattern.sub("", line)
    return line.strip()


def remove_boilerplate(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split ``lines`` into (kept, dropped) following the catalogue."""
    cat = catalogue()
    lines = [strip_inline(line, cat) for line in lines]
    drop = [not line for line in lines]
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if drop[i]:
            i += 1
            continue
        short = len(line) <= 400
        block = short and next(((s, e, m) for s, e, m in cat.blocks if s.fullmatch(line)), None)
        if block:
            _, end_rx, max_lines = block
            for j in range(i + 1, min(n, i + 1 + max_lines)):
                if end_rx.fullmatch(lines[j]):
                    for k in range(i, j + 1):
                        drop[k] = True
                    i = j + 1
                    break
            else:
                drop[i] = is_boilerplate(line, cat)
                i += 1
            continue
        if short and line_key(line) in cat.end:
            drop[i] = True
            j = i + 1
            while j < n and (
                drop[j]
                or len(lines[j]) < _SHORT
                or _LIST_ITEM.match(lines[j])
                or is_boilerplate(lines[j], cat)
            ):
                drop[j] = True
                j += 1
            i = j
            continue
        drop[i] = is_boilerplate(line, cat)
        i += 1
    _drop_named_blocks(lines, drop)
    kept = [line for line, d in zip(lines, drop) if not d]
    dropped = [line for line, d in zip(lines, drop) if d and line]
    return kept, dropped


_BLOCK_END = re.compile(r"^(?:End of|Fin de|نهاية|پایان|اختتام|د پای)\s*(?P<name>.{2,60})$")
_NAMED_BLOCK_LINES = 15


def _drop_named_blocks(lines: list[str], drop: list[bool]) -> None:
    """A block a page closes by its own name ("مطالب پیشنهادی" ... "پایان مطالب پیشنهادی",
    "Most read" ... "End of Most read", as BBC pages print them): its lines are a box of other
    stories inside the article, not the article."""
    for j, line in enumerate(lines):
        m = _BLOCK_END.match(line.strip()) if len(line) <= 80 else None
        if not m:
            continue
        name = line_key(m.group("name"))
        for i in range(j - 1, max(-1, j - _NAMED_BLOCK_LINES), -1):
            if line_key(lines[i]) == name:
                for k in range(i, j + 1):
                    drop[k] = True
                break


def drop_repeated_captions(lines: list[str]) -> tuple[list[str], list[str]]:
    """Drop short lines repeated back to back (an image caption printed twice by a scraper).

    Both copies go: a caption repeated by the page layout is not article text. Long lines are
    never dropped (a repeated paragraph is kept once).
    """
    kept: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        j = i + 1
        while (
            j < len(lines)
            and abs(len(lines[j]) - len(line)) <= 8 + len(line) // 5
            and line_key(lines[j]) == line_key(line)
        ):
            j += 1
        if j - i > 1:
            if len(line) <= _CAPTION_MAX:
                dropped.extend(lines[i:j])
            else:
                kept.append(line)
                dropped.extend(lines[i + 1 : j])
        else:
            kept.append(line)
        i = j
    return kept, dropped
