"""Datelines and date lines of scraped news text.

Input: one paragraph (or line). Output: a ``Dateline`` (city, sources, date match, the rest
of the paragraph) or None.

Shapes recognised at the start of a paragraph:
- ``( أردو بوینت نتورك ۔ / سبوتنيك - 11 كانون الثاني 2022ء) text``: publisher / agency and
  date in parentheses, optionally after a city (``اسلام آباد (… - آئی این پی۔ 05 جنوری2018ء)``);
- ``PARIS (Reuters) - text``, ``القاهرة - (رويترز) - text``, ``كابول - (د ب أ) text``,
  ``دبي، الإمارات العربية المتحدة (CNN)— text``: city and agency;
- ``القاهرة - أ ش أ - 1 فبراير 2022 - text``, ``بيروت في 4 آب 2020 - text``: a few short words
  then a date, and maybe an agency in parentheses (``عمّان، 1 كانون الأول 2026 (وكالة الخبر) -``,
  ``PARIS, 2 décembre 2026 (AFP) -``);
- ``24 juin 2012. - text``, ``2 juillet 2012. - Québec - text``, ``22 août 2012, Espagne. - text``:
  a date first, then an optional place;
- ``نیویارک —``: a city alone on its line, ended by a dash (the lead is the next paragraph).

``date_line`` tells whether a whole line is only a date (a page's date line or its header
clock, with weekday, time and labels) — such lines are metadata, not body text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .dateparse import DateMatch, _words, find_date

_HEAD = 260
_SEP = r"[-–—ـ:]"
_PAREN = re.compile(
    r"^(?:(?P<city>[^()\d\n.!?؟]{2,60}?)\s*(?P<pre>"
    + _SEP
    + r")?\s*)?\((?P<inner>[^()\n]{2,200})\)\s*(?P<sep>"
    + _SEP
    + r"+)?\s*"
)
_CITY_LINE = re.compile(r"^(?P<city>[^\W\d][^\n.!?؟:()]{0,40}?)\s*[-–—]+\s*$")
_NAME_SPLIT = re.compile(r"\s*(?:/|\s[-–—ـ]\s|[-–—ـ]\s|\s[-–—ـ]|۔|،|,|:|\|)\s*")
_TRIM = " \t-–—ـ:،,.۔/«»\"'()"
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?(?:[صم]|am|pm|AM|PM|UTC|GMT))?|\d{1,2}:\d{2}")
_WORDS = re.compile(r"[^\W\d_]+")
_AFTER_DATE = re.compile(
    r"^\s*[.,،]?\s*(?:,\s*(?P<place>[^\W\d][^\d.:\-–—\n]{1,40}?)\s*\.?)?\s*(?:[-–—ـ]+|:(?!\d))\s*"
    r"(?:(?P<place2>[^\W\d][^\d:\-–—\n.]{1,30}?)\s*[-–—ـ]+\s*)?"
)
_AGENCY_AFTER = re.compile(r"^\s*\((?P<inner>[^()\n\d]{2,60})\)\s*[-–—ـ:]+\s*")
"""``عمّان، 1 كانون الأول 2026 (وكالة الخبر) - text``: an agency in parentheses after the date."""
_BEFORE_END = re.compile(r"(?:[-–—ـ:،,/(]|\s(?:في|fi|in|à|le))\s*$")


@dataclass(frozen=True)
class Dateline:
    city: str | None
    sources: tuple[str, ...]
    date: DateMatch | None
    rest: str
    """The paragraph without the dateline (the lead)."""
    text: str
    """The dateline as written."""


def _names(text: str) -> list[str]:
    out = []
    for part in _NAME_SPLIT.split(text):
        part = part.strip(_TRIM)
        if part and _WORDS.search(part) and len(part.split()) <= 6:
            out.append(part)
    return out


def _city(text: str | None) -> str | None:
    if not text:
        return None
    first = re.split(r"[،,]", text)[0].strip(_TRIM)
    first = re.sub(r"\s+(?:في|fi|in)$", "", first)
    if not first or len(first.split()) > 4 or not _WORDS.search(first):
        return None
    return first


def _short_words(text: str, limit: int = 5) -> bool:
    return len(text.split()) <= limit and not re.search(r"[.!?؟]\s", text)


def parse_dateline(paragraph: str, lang: str | None = None) -> Dateline | None:
    """The dateline at the start of ``paragraph`` (see the module docstring), or None."""
    head = paragraph[:_HEAD]
    m = _CITY_LINE.match(paragraph)
    if m and len(paragraph) <= 60 and _short_words(m.group("city"), 3):
        return Dateline(_city(m.group("city")), (), None, "", paragraph)
    m = _PAREN.match(head)
    if m:
        found = _paren_dateline(m, paragraph, lang)
        if found:
            return found
    match = find_date(head, lang)
    if match and match.span[0] <= 60:
        before = head[: match.span[0]]
        if re.search(r"[^\W\d_]:$", before):  # "Category:April 26, 2008": a page title
            return None
        after = _AFTER_DATE.match(head[match.span[1] :])
        if before.strip(_TRIM) and (
            not _short_words(before.strip(_TRIM), 6) or not _BEFORE_END.search(before)
        ):
            return None
        if after is None and not before.strip(_TRIM) and match.span[1] < len(paragraph.rstrip()):
            return None
        end = match.span[1] + (after.end() if after else 0)
        names = _names(before)
        city = _city(names[0]) if names else None
        place = after and (after.group("place") or after.group("place2"))
        if place and not city:
            city = _city(place)
        sources = tuple(names[1:]) if names else ()
        agency = _AGENCY_AFTER.match(paragraph[end:])
        if agency and _short_words(agency.group("inner"), 5) and _names(agency.group("inner")):
            sources += tuple(_names(agency.group("inner")))
            end += agency.end()
        return Dateline(city, sources, match, paragraph[end:].strip(), paragraph[:end].strip())
    return None


def _paren_dateline(m: re.Match, paragraph: str, lang: str | None) -> Dateline | None:
    inner, city_text = m.group("inner"), (m.group("city") or "").strip(_TRIM)
    match = find_date(inner, lang)
    if match is None and not (_short_words(inner, 5) and (m.group("sep") or m.group("pre"))):
        return None
    if city_text and not _short_words(city_text, 5):
        return None
    if match is not None and match.span[0] == 0 and not city_text and match.span[1] >= len(inner.strip()) - 1:
        names: list[str] = []
    else:
        rest_inner = inner[: match.span[0]] + " " + inner[match.span[1] :] if match else inner
        names = _names(rest_inner)
    return Dateline(
        _city(city_text), tuple(names), match, paragraph[m.end() :].strip(), paragraph[: m.end()].strip()
    )


def date_line(
    line: str, lang: str | None = None, labels: tuple[str, ...] = ()
) -> tuple[DateMatch, bool] | None:
    """``(date match, is_clock)`` when ``line`` holds nothing but a date (plus weekday, time,
    a label or a place name); ``is_clock`` is True for a page header clock (a time of day or
    a clock label such as التوقيت). None for any other line."""
    if len(line) > 120:
        return None
    match = find_date(line, lang)
    if match is None:
        return None
    start, end = match.span
    if re.search(r"[^\W\d_]:$", line[:start]):  # "Category:April 26, 2008" is a page title
        return None
    rest = line[:start] + " " + line[end:]
    has_time = bool(_TIME.search(rest))
    rest = _TIME.sub(" ", rest)
    clock = has_time
    for label in labels:
        if label in rest:
            clock = True
            rest = rest.replace(label, " ")
    for label in _date_labels():
        rest = rest.replace(label, " ")  # "Mis à jour le", "نشر في": labels, not words
    words = _WORDS.findall(rest)
    if len(words) > 3 or (len(words) > 1 and not clock and re.search(r"[.!?؟]", rest)):
        return None
    return match, clock


@functools.lru_cache(maxsize=1)
def clock_labels() -> tuple[str, ...]:
    """Words that make a date line the page's clock (``التوقيت``, ``امروز``: data/date_words.yml)."""
    return tuple(_words().get("clock_labels") or ())


@functools.lru_cache(maxsize=1)
def publish_labels() -> tuple[str, ...]:
    """Words of a story's publication time (``نشر في``, ``Publié le``: data/date_words.yml)."""
    return tuple(_words().get("publish_labels") or ())


@functools.lru_cache(maxsize=1)
def update_labels() -> tuple[str, ...]:
    """Words of a story's correction time (``آخر تحديث``, ``Updated``: data/date_words.yml)."""
    return tuple(_words().get("update_labels") or ())


@functools.lru_cache(maxsize=1)
def _date_labels() -> tuple[str, ...]:
    """Publication and update labels, longest first (so "Mis à jour le" goes before "Mis à jour")."""
    return tuple(sorted(publish_labels() + update_labels(), key=len, reverse=True))


def is_update(line: str) -> bool:
    """A date line that gives the story's correction time, not its publication."""
    lowered = line.casefold()
    return any(label.casefold() in lowered for label in update_labels())
