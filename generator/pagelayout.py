"""Where the story is in a copied web page: lines scored as prose or chrome by their shape.

Input: the non-empty lines of a page copy (a browser's select-all, a scraper's text dump), in
order. Output: a ``Layout``: the run of lines that holds the story's prose (``start``,
``end``), and, for every line, whether it looks like chrome.

A person finds the story by structure, not by a list of phrases: the densest run of prose
(long lines made of sentences), with the headline a little above it and menus, clocks,
counters, teasers and footers around it. The features used here are the ones a person uses:

- prose: a long line (``PROSE_CHARS``) of words with sentence punctuation and few digits;
- chrome: a short line that is mostly digits (clocks, counters, issue numbers) or opens or
  closes with a time of day (tickers, teasers of other stories with their times), a
  breadcrumb (short parts joined by ``>`` or ``|``), a run of
  very short lines (menus, share buttons, tag lists), a line of another script than the page's
  (``Close Menu`` on an Arabic page), or a line the same site prints on other pages
  (``recurring``: lines that repeat across seeds of one folder).

The story's run is the stretch of lines with the most prose characters in which no two prose
lines are more than ``GAP`` non-prose lines apart, so a subheading or a short quoted line
inside the story stays in it, while a "most read" block after it does not join it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .langdetect import function_words
from .languages import char_script
from .textnorm import match_key

PROSE_CHARS = 90
"""A line at least this long, made of sentences, is prose."""
PROSE_WORDS = 12
GAP = 3
"""Non-prose lines allowed between two prose lines of one story run."""
MENU_WORDS = 3
"""A line of at most this many words in a run of such lines is a menu or a button bar."""
MENU_RUN = 3

_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")
_SENTENCE = re.compile(r"[.!?؟۔。！？](?:\s|$)|[،,;؛]\s\S")
_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
_FINAL = re.compile(r"[.!?؟۔。！？»\"”)]\s*$")
_CRUMB = re.compile(r"\s(?:>|»|›|/|\|)\s")


@dataclass(frozen=True)
class Layout:
    start: int
    """First line of the story's prose run (``len(lines)`` when there is none)."""
    end: int
    """One past its last line."""
    prose: tuple[bool, ...]
    chrome: tuple[bool, ...]

    @property
    def found(self) -> bool:
        return self.start < self.end


def main_script(lines: list[str]) -> str:
    """The script most letters of the page are in (``Arab``, ``Latn`` ...)."""
    counts = Counter(char_script(ch) for line in lines for ch in line[:400] if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else ""


def is_prose(line: str) -> bool:
    """A line a person reads as part of a story: long, made of words, with sentence
    punctuation, and not mostly digits."""
    words = _WORD.findall(line)
    if len(line) < PROSE_CHARS and len(words) < PROSE_WORDS:
        return False
    if len(words) < 6:
        return False
    digits = len(_DIGIT.findall(line))
    if digits > 0.25 * len(line):
        return False
    # Sentences: one that ends the line, or two marks inside it; a headline or a teaser with
    # a single comma is not prose ("Dans le Gers, les retenues ... au sortir de l'hiver").
    marks = len(_SENTENCE.findall(line))
    return bool(_FINAL.search(line)) and marks >= 1 or marks >= 2 or len(words) >= 2 * PROSE_WORDS


def ends_a_sentence(line: str) -> bool:
    return bool(_FINAL.search(line)) and len(_WORD.findall(line)) >= 4


def _foreign(line: str, script: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    if not letters or not script:
        return False
    own = sum(1 for ch in letters if char_script(ch) == script)
    return own < 0.3 * len(letters)


def _digit_heavy(line: str) -> bool:
    digits = len(_DIGIT.findall(line))
    letters = len(_WORD.findall(line))
    return (
        digits >= 4
        and digits >= 2 * max(1, sum(len(w) for w in _WORD.findall(line))) // 3
        or (letters <= 2 and digits >= 3)
    )


def _teaser_time(line: str) -> bool:
    """A short line that opens or closes with a time of day: a ticker item or a teaser of
    another story with its time (``10:20 ص | ...``), or a clock."""
    found = _CLOCK.search(line)
    return bool(found) and (found.start() <= 2 or found.end() >= len(line) - 4)


def _crumbs(line: str) -> bool:
    """A breadcrumb or a row of links: short parts joined by ``>``, ``»``, ``/`` or ``|``
    (``استان‌ها > خراسان رضوی``)."""
    parts = _CRUMB.split(line)
    if len(parts) >= 3:  # "Home / Local / the headline, cut short..." ends with a long part
        return all(len(_WORD.findall(part)) <= 3 for part in parts[:-1])
    return len(parts) == 2 and all(len(_WORD.findall(part)) <= 3 for part in parts)


def chrome_flags(lines: list[str], recurring: frozenset[str] = frozenset()) -> list[bool]:
    """Per line: does it look like chrome (see the module docstring)?"""
    script = main_script(lines)
    short = [len(_WORD.findall(line)) <= MENU_WORDS and not is_prose(line) for line in lines]
    flags = []
    for i, line in enumerate(lines):
        run = 1
        j = i - 1
        while j >= 0 and short[j] and run < MENU_RUN:
            run, j = run + 1, j - 1
        j = i + 1
        while j < len(lines) and short[j] and run < MENU_RUN:
            run, j = run + 1, j + 1
        flags.append(
            line in recurring
            or (short[i] and run >= MENU_RUN)
            or (
                not is_prose(line)
                and (_digit_heavy(line) or _foreign(line, script) or _teaser_time(line) or _crumbs(line))
            )
        )
    return flags


_CREDIT = re.compile(
    r"(?:\((?P<paren>[^()]{1,30})\)|©\s*[^.!?؟]{1,40}|\b(?:Image|Photo)\s+[Cc]redit:.{1,40})\s*$"
)


def is_caption(line: str) -> bool:
    """A photo caption or credit line: a short line, not ended as a sentence, that closes
    with a credit (``(أرشيف)``, ``(الجزيرة)``, ``© RFI``, ``Image Credit: Supplied``)."""
    found = _CREDIT.search(line)
    if not found or len(_WORD.findall(line)) > 30:
        return False
    before = line[: found.start()].rstrip()
    if found.group("paren") is None:
        return True  # "... © RFI", "Image Credit: Supplied"
    return bool(before) and not before.endswith((".", "!", "?", "؟", "۔", ":"))


def _menu_runs(lines: list[str], chrome: tuple[bool, ...], stop: int) -> list[tuple[int, int]]:
    """(start, end) of each run of ``MENU_RUN`` or more menu lines before ``stop``: chrome made
    of words alone (no date, clock or counter)."""
    runs, begin = [], None
    for i in range(stop + 1):
        menu = i < stop and chrome[i] and not _DIGIT.search(lines[i])
        if menu and begin is None:
            begin = i
        elif not menu and begin is not None:
            if i - begin >= MENU_RUN:
                runs.append((begin, i))
            begin = None
    return runs


def after_last_menu(lines: list[str], chrome: tuple[bool, ...], stop: int) -> int:
    """The line after the last menu before ``stop`` (0 when there is none): where a page's
    header ends and its story's own lines (kicker, date, headline) begin."""
    runs = _menu_runs(lines, chrome, stop)
    return runs[-1][1] if runs else 0


def layout(lines: list[str], recurring: frozenset[str] = frozenset()) -> Layout:
    """The story's prose run and the chrome flags of ``lines``."""
    prose = [is_prose(line) for line in lines]
    chrome = chrome_flags(lines, recurring)
    best = (0, len(lines), len(lines))  # (mass, start, end)
    i = 0
    while i < len(lines):
        if not prose[i]:
            i += 1
            continue
        start = end = i
        mass = 0
        j = i
        while j < len(lines):
            if prose[j]:
                mass += len(lines[j])
                end = j + 1
                j += 1
                continue
            gap = j
            while gap < len(lines) and not prose[gap] and gap - end < GAP:
                gap += 1
            if gap < len(lines) and prose[gap]:
                j = gap
                continue
            break
        if mass > best[0]:
            best = (mass, start, end)
        i = end
    _, start, end = best
    return Layout(start, end, tuple(prose), tuple(chrome))


_CONTENT = re.compile(r"[^\W\d_]{3,}")
_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


def _keys(text: str) -> set[str]:
    """Content words of ``text`` as comparison keys (function words left out), each also
    without an Arabic prefix."""
    keys = set()
    common = function_words()
    for word in _CONTENT.findall(match_key(text)):
        if word in common:
            continue
        keys.add(word)
        for prefix in _PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                keys.add(word[len(prefix) :])
                break
    return keys


def site_words(lines: list[str], chrome: tuple[bool, ...]) -> frozenset[str]:
    """The words of what stands above the page's first menu (the masthead: the site's name
    and slogan). A story names its site ("به گزارش خبرگزاری تسنیم"); that is no evidence for
    a line. None when the page has no menu (no masthead to tell apart)."""
    runs = _menu_runs(lines, chrome, len(lines))
    if not runs:
        return frozenset()
    return frozenset(key for line in lines[: runs[0][0]] for key in _keys(line))


def headline_evidence(candidate: str, lead: str, ignore: frozenset[str] = frozenset()) -> float:
    """How much of ``candidate``'s content words the story's lead repeats (0..1): a headline
    shares its key words with the lead; a teaser of another story or a site's slogan does not.
    ``ignore``: words that are no evidence (``site_words``)."""
    words = _keys(candidate) - ignore
    if not words:
        return 0.0
    lead_keys = _keys(lead)
    return len(words & lead_keys) / len(words)


def story_indices(lines: list[str], lay: Layout, start: int) -> list[int]:
    """The lines of the story's run from ``start``, less what a person skips in it: photo
    captions and credits (and the line a credit line follows) and short lines set among chrome
    (a byline next to the date line). Nothing else: a story's own short lines (subheads, a
    one-sentence paragraph) stay."""
    kept = []
    for i in range(start, lay.end):
        words = len(_WORD.findall(lines[i]))
        if is_caption(lines[i]) or (i + 1 < len(lines) and _only_credit(lines[i + 1]) and words <= 30):
            continue
        if not lay.prose[i] and words <= 6 and not ends_a_sentence(lines[i]):
            if (i > 0 and lay.chrome[i - 1]) or (i + 1 < len(lines) and lay.chrome[i + 1]):
                continue
        kept.append(i)
    return kept


def _only_credit(line: str) -> bool:
    """A line that is nothing but a photo credit (``Image Credit: Supplied``, ``© AFP``); not
    a parenthesised word alone, which is as often a wire mark (``(end)``, ``(تستمر)``)."""
    found = _CREDIT.search(line)
    return bool(found) and not line[: found.start()].strip() and found.group("paren") is None


SENTENCE_BREAK = re.compile(r"(?<![.\d])\.(?![.\d])\s+\S|[!?؟](?![!?؟])\s+\S|[。！？]\s*\S")
LONG_LINE = 200
"""Longer lines are paragraphs, never headlines or datelines."""
_CJK = re.compile("[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def headline_like(line: str) -> bool:
    """Could ``line`` be a headline: words, not too long, no sentence break inside it."""
    if len(_CJK.findall(line)) > 10 and len(line) > 60:  # CJK: a long line is a paragraph
        return False
    if len(line) > LONG_LINE or len(line.split()) > 40 or not re.search(r"[^\W\d_]", line):
        return False
    body = line.rstrip(" .!?؟。！？…")
    return not SENTENCE_BREAK.search(body) and not line.endswith((":", "،", ","))
