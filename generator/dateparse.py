"""Dates in datelines and news text: find them, read them, never guess them.

Input: text (a dateline, a header line, a paragraph). Output: a ``DateMatch`` with the
Gregorian day, where it was found (``span`` in the input), the calendar it was written in and
warnings; or None when the text names no date at all.

- Month and weekday names come from CLDR through ICU (every Arabic month-name family:
  Levantine, Egyptian/Gulf, Maghrebi, Moroccan, Mauritanian; Persian and Dari; Urdu; English;
  French; Hijri names in ar/fa/ur; Solar Hijri in fa/fa_AF/ps/ckb_IR), plus the small documented list
  in ``data/date_words.yml``. Names are compared through a folding key, so hamza forms,
  Persian/Arabic yeh and kaf, tashkeel, tatweel and ZWNJ do not matter.
- Gregorian dates in any other language ICU has data for (``11. Januar 2022``, ``11 de enero
  de 2022``, ``11 января 2022``, Sorani ``13ـی تشرینی یەکەمی 2025``) are read through
  ``world_month_table``: every base locale's month names, less those that name different
  months in different languages, matched by shape (day, name, year or name, day, year).
- Hijri (Umm al-Qura) and Solar Hijri dates are converted by ``generator.calendars``.
- A text that names a date that does not exist (31 شباط, 30 اسفند 1400), a date without a
  year, a month without a day, a two-digit year or a range of days gives a ``DateMatch``
  whose ``date`` is None, with a warning saying why: the caller marks the article undated.
- Numeric dates: day-first (ar, fr, ur: CLDR d/M/y), year-first when the first field has four
  digits; month-first only for English. In Persian text a 13xx/14xx year is Solar Hijri.
- When a Hijri and a Gregorian date stand side by side (``... الموافق ...``), the Gregorian
  part wins; a disagreement between them is reported as a warning.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import icu
import yaml

from .calendars import default_calendars
from .textnorm import match_key

_DATA = Path(__file__).with_name("data") / "date_words.yml"
_SCAN_LIMIT = 50_000
_SOLAR_HIJRI_PIVOT = 1420
"""A year-first numeric date with no words around it: up to this year Solar Hijri, above it
Hijri (the reading that puts a news date nearer our time)."""
_KURDISH_OFFSET = 1321
_KURDISH_YEARS = (2600, 2800)
"""Kurdish pages count Solar Hijri months from 700 BC (``14 خەرمانان 2723`` = 1402/06/14)."""
_SCRAMBLED_LIMIT = 60
"""A line this short may hold a date's parts out of order (right-to-left copy)."""
"""Only the first characters of a text are searched (datelines sit at the top)."""

GREGORIAN, ISLAMIC, PERSIAN = "gregorian", "islamic-umalqura", "persian"
_CAL_NAMES = {"gregorian": GREGORIAN, "islamic": ISLAMIC, "persian": PERSIAN}

_CLDR_SOURCES = (
    # (ICU calendar type, locales whose month names are read)
    (
        "gregorian",
        (
            "ar",
            "ar_EG",
            "ar_SA",
            "ar_SY",
            "ar_LB",
            "ar_IQ",
            "ar_JO",
            "ar_DZ",
            "ar_TN",
            "ar_MA",
            "ar_MR",
            "fa",
            "fa_AF",
            "ur",
            "en",
            "fr",
        ),
    ),
    ("islamic", ("ar", "fa", "ur")),
    ("persian", ("fa", "fa_AF", "ps", "ckb_IR")),
)
_WEEKDAY_LOCALES = ("ar", "fa", "ur", "en", "fr")


@dataclass(frozen=True)
class DateMatch:
    """A date expression found in a text."""

    date: dt.date | None
    """The Gregorian day, or None when the expression does not name one existing day."""
    span: tuple[int, int]
    """Start and end offsets of the expression in the searched text (weekday included)."""
    calendar: str
    """``gregorian``, ``islamic-umalqura`` or ``persian``: how the text wrote it."""
    warnings: tuple[str, ...] = ()


# --- folding -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isspace() or ch in "\u200c\u00a0":
        return " "
    if ch == "\u06c3":  # Urdu teh marbuta goal
        return "ه"
    folded = match_key(ch)
    if folded and all(ord(c) < 0x250 for c in folded):  # Latin: ignore accents (fevrier)
        folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    return folded


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text (for matching) and, for each folded character, its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    last_space = False
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("\n")
            index.append(i)
            last_space = False
            continue
        folded = _fold_char(ch)
        if folded == " ":
            if last_space:
                continue
            last_space = True
        elif folded:
            last_space = False
        for c in folded:
            out.append(c)
            index.append(i)
    return "".join(out), index


def fold(text: str) -> str:
    """The matching key of a word: folded letters, ASCII digits, no spaces."""
    return _squash(_fold_with_map(text)[0])


# --- tables --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _words() -> dict:
    with _DATA.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.lru_cache(maxsize=1)
def month_table() -> dict[str, tuple[str, int]]:
    """Folded month name -> (calendar, month number), from CLDR plus the variant list."""
    import icu

    table: dict[str, tuple[str, int]] = {}
    widths = (icu.DateFormatSymbols.WIDE, icu.DateFormatSymbols.ABBREVIATED)
    contexts = (icu.DateFormatSymbols.FORMAT, icu.DateFormatSymbols.STANDALONE)
    for cal_type, locales in _CLDR_SOURCES:
        for loc in locales:
            symbols = icu.DateFormatSymbols(icu.Locale(loc), cal_type)
            for context in contexts:
                for width in widths:
                    for number, name in enumerate(symbols.getMonths(context, width), start=1):
                        key = fold(name.rstrip("."))
                        minimum = 2 if width == icu.DateFormatSymbols.WIDE else 3
                        if len(key) >= minimum and not key.isdigit():
                            table.setdefault(key, (_CAL_NAMES[cal_type], number))
    for item in _words()["month_variants"]:
        table[fold(item["spelling"])] = (_CAL_NAMES[item["calendar"]], int(item["month"]))
    return table


@functools.lru_cache(maxsize=1)
def world_month_table() -> dict[str, int]:
    """Folded Gregorian month name -> month number in every language ICU has data for (its
    base locales, wide and abbreviated, both contexts), for dates in languages the main table
    does not list. A name that means different months in different languages (Czech
    ``listopad`` is November, Croatian October) is left out, as are names the main table has."""
    table: dict[str, int] = {}
    clashes: set[str] = set()
    bases = sorted({loc.getLanguage() for loc in icu.Locale.getAvailableLocales().values()})
    for base in bases:
        symbols = icu.DateFormatSymbols(icu.Locale(base), "gregorian")
        for context in (icu.DateFormatSymbols.FORMAT, icu.DateFormatSymbols.STANDALONE):
            for width in (icu.DateFormatSymbols.WIDE, icu.DateFormatSymbols.ABBREVIATED):
                for number, name in enumerate(symbols.getMonths(context, width)[:12], start=1):
                    key = fold(name.rstrip("."))
                    if len(key) < 3 or not key.isalpha():
                        continue
                    if table.setdefault(key, number) != number:
                        clashes.add(key)
    main = month_table()
    return {key: number for key, number in table.items() if key not in clashes and key not in main}


def _world_month(name: str) -> int | None:
    """The month a name found by shape stands for: the whole name, without a trailing ezafe
    ی (Sorani, Persian: ``تشرینی یەکەمی``), or its first word (``enero de``)."""
    table = world_month_table()
    key = _squash(name)
    words = name.split()
    for candidate in (key, key[:-1] if key.endswith("ي") else "", _squash(words[0]) if words else ""):
        if candidate in table:
            return table[candidate]
    return None


@functools.lru_cache(maxsize=1)
def weekday_table() -> dict[str, int]:
    """Folded weekday name -> Python weekday (Monday = 0)."""
    import icu

    table: dict[str, int] = {}
    for loc in _WEEKDAY_LOCALES:
        symbols = icu.DateFormatSymbols(icu.Locale(loc), "gregorian")
        for names in (symbols.getWeekdays(), symbols.getShortWeekdays()):
            for icu_index, name in enumerate(names):
                if name and len(fold(name)) >= 3:
                    table.setdefault(fold(name), (icu_index - 2) % 7)  # ICU: 1 = Sunday
    for item in _words()["weekday_variants"]:
        table[fold(item["spelling"])] = int(item["weekday"])
    return table


def _alternation(words) -> str:
    """Regex alternation of folded words, longest first; spaces inside words are optional."""
    parts = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(r"\s?".join(re.escape(c) for c in w) for w in parts)


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    words = _words()
    months = _alternation(month_table())
    weekdays = _alternation(weekday_table())
    days = _alternation(fold(w) for w in words["day_words"])
    eras = _alternation(fold(e) for names in words["eras"].values() for e in names)
    after_month = _alternation(fold(w) for w in words["after_month"])
    letter_end = r"(?![^\W\d_])"
    day = rf"(?P<day>(?<![\d.])\d{{1,2}}(?!\d)|(?<![^\W\d_])(?:{days}))(?:er|st|nd|rd|th)?"
    month = rf"(?P<m1>{months}){letter_end}"
    dual = rf"(?:\s?(?:/|\(|-|–)\s?(?P<m2>{months}){letter_end}\s?\)?)?"
    year = r"(?P<year>(?<!\d)\d{4}(?!\d))"
    era = rf"(?:\s?(?P<era>{eras}){letter_end})?"
    gap = r"[ ,،.]{0,3}"
    return {
        "dmy": re.compile(
            rf"{day}{gap}(?:(?:من|of|de)\s)?{month}{dual}"
            rf"(?:{gap}(?:(?:{after_month}){letter_end}{gap})?{year}{era})?"
        ),
        "mdy": re.compile(
            rf"(?<![^\W\d_]){month}\s?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)[ ,،]{{0,2}}{year}"
        ),
        "my": re.compile(rf"(?<![^\W\d_]){month}{dual}{gap}{year}"),
        "numeric": re.compile(
            r"(?<![\d/.\-])(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
            rf"(?![\d/\-]|\.\d){era}"
        ),
        "weekday_before": re.compile(
            rf"(?:^|(?<=[^\w]))(?P<wd>{weekdays}){letter_end}[ ,،\-]{{0,3}}"
            r"(?:\d{1,2}:\d{2}\s?(?:[صم]|am|pm)?\s?)?$"
        ),
        "connector": re.compile(
            r"^[ ,،\-–(/=]{0,4}(?:"
            + _alternation(fold(w) for w in words["dual_connectors"])
            + r")?[ ,،\-–(/=]{0,4}$"
        ),
        # "12-14 مارس": a range; not "10:20-8 نوفمبر" (a time glued to the day) or "۳۶۹۶ - May"
        "range_before": re.compile(r"(?<![\d:])\d{1,2}\s?[-–]\s?$"),
        # A wire trailer: day, hour and minute run together, the English month and a two-digit
        # year (KUNA 041506 Jul 09 = 4 July 2009, 15:06).
        "wire_trailer": re.compile(
            r"(?<!\d)(?P<day>[0-3]\d)(?P<hh>[0-2]\d)(?P<mi>[0-5]\d)\s(?P<name>[a-z]{3})\s(?P<yy>\d{2})(?!\d)"
        ),
        # Dates in other languages, found by shape; the name must be in world_month_table.
        "world_dmy": re.compile(
            r"(?<![\d.])(?P<day>\d{1,2})(?:\.|ي|º|er)?\s?(?:(?:de|of|del|di)\s)?"
            r"(?P<name>[^\W\d_]{3,}(?:\s[^\W\d_]{2,})?)\.?[ ,]{0,2}(?P<year>(?<!\d)\d{4})(?!\d)"
        ),
        "world_mdy": re.compile(
            r"(?<![^\W\d_])(?P<name>[^\W\d_]{3,})\.?\s(?P<day>\d{1,2})(?:st|nd|rd|th)?(?!\d)"
            r"[ ,]{0,2}(?P<year>\d{4})(?!\d)"
        ),
    }


@functools.lru_cache(maxsize=1)
def _era_calendars() -> dict[str, str]:
    return {fold(e): _CAL_NAMES[cal] for cal, names in _words()["eras"].items() for e in names}


# --- conversion ----------------------------------------------------------------------------


def to_gregorian(calendar: str, y: int, m: int, d: int) -> dt.date:
    """The Gregorian day of (y, m, d) in ``calendar``; ValueError if that day does not exist."""
    if calendar == GREGORIAN:
        return dt.date(y, m, d)
    if not (1 <= m <= 12 and 1 <= d <= 31):
        raise ValueError(f"month {m} day {d} out of range")
    from . import calendars

    if calendar == ISLAMIC:
        return calendars.hijri_to_gregorian(y, m, d)
    return calendars.persian_to_gregorian(y, m, d)


# --- search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    start: int  # in folded text
    end: int
    calendar: str
    ymd: tuple[int, int, int] | None
    problem: str | None = None


def _script_context(folded: str, lang: str | None) -> str | None:
    if lang:
        return lang.split("-")[0].split("_")[0].lower()
    if re.search("[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2]", folded):
        return "ur"
    if re.search("[\u067e\u0686\u0698\u06af]", folded):
        return "fa"
    if re.search("[\u0621-\u064a]", folded):
        return "ar"
    return None


@functools.lru_cache(maxsize=64)
def _month_first(lang: str) -> bool:
    """Numeric dates in ``lang`` with the year last put the month before the day (CLDR's
    short date pattern of its likely locale is month, day, year: ``en`` → en_US ``M/d/yy``;
    ``fa``'s ``y/M/d`` says nothing about a date written with the year last)."""
    likely = icu.Locale.addLikelySubtags(icu.Locale(lang))
    pattern = icu.DateFormat.createDateInstance(icu.DateFormat.kShort, likely).toPattern()
    return 0 <= pattern.find("M") < pattern.find("d") < pattern.find("y")


def _numeric(m: re.Match, context: str | None) -> _Candidate:
    a, b, c = m.group("a"), m.group("b"), m.group("c")
    era = _era_calendars().get(m.group("era") or "")
    if len(a) == 4 and len(c) <= 2:
        y, mo, d = int(a), int(b), int(c)
    elif len(c) == 4 and len(a) <= 2:
        d, mo, y = int(a), int(b), int(c)
        if context and _month_first(context):
            d, mo = mo, d
    elif len(c) == 2 and len(a) <= 2:
        return _Candidate(m.start(), m.end(), GREGORIAN, None, "two-digit year: the century is unknown")
    else:
        return _Candidate(m.start(), m.end(), GREGORIAN, None, "not a date")
    if era in (ISLAMIC, PERSIAN):
        calendar = era
    elif y < 1600 and context:
        # A year before 1600: Hijri, Solar Hijri where the text's language counts in it (ICU).
        calendar = PERSIAN if default_calendars(context)[0] == "persian" else ISLAMIC
    elif y < 1600:
        # No words to tell: the reading of a news date. Solar Hijri years up to 1420 name
        # 1921-2041, Hijri ones below 1421 name days before 2000; so 1400/10/21 is 2022-01-11.
        calendar = PERSIAN if y <= _SOLAR_HIJRI_PIVOT else ISLAMIC
    else:
        calendar = GREGORIAN
    return _Candidate(m.start(), m.end(), calendar, (y, mo, d))


def _textual(m: re.Match, folded: str, pats: dict) -> _Candidate:
    table = month_table()
    calendar, month = table[_squash(m.group("m1"))]
    start, end = m.start(), m.end()
    if m.groupdict().get("m2"):
        _, other_month = table[_squash(m.group("m2"))]
        if other_month != month:
            return _Candidate(start, end, calendar, None, "two different month names side by side")
    day_text = m.groupdict().get("day")
    if day_text is None:
        return _Candidate(start, end, calendar, None, "day missing (a month, not a date)")
    day = int(day_text) if day_text.isdigit() else _day_words()[_squash(day_text)]
    if m.groupdict().get("year") is None:
        return _Candidate(start, end, calendar, None, "year missing: the date is not complete")
    if pats["range_before"].search(folded, max(0, start - 8), start):
        return _Candidate(start, end, calendar, None, "a range of days, not one date")
    year = int(m.group("year"))
    if calendar == PERSIAN and _KURDISH_YEARS[0] <= year <= _KURDISH_YEARS[1]:
        year -= _KURDISH_OFFSET  # the Kurdish calendar's year: Solar Hijri + 1321
    return _Candidate(start, end, calendar, (year, month, day))


@functools.lru_cache(maxsize=1)
def _day_words() -> dict[str, int]:
    return {fold(k): int(v) for k, v in _words()["day_words"].items()}


def _candidates(folded: str, context: str | None) -> list[_Candidate]:
    pats = _patterns()
    found: list[_Candidate] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= ts or s >= te for ts, te in taken)

    for m in pats["numeric"].finditer(folded):
        found.append(_numeric(m, context))
        taken.append(m.span())
    for name in ("dmy", "mdy", "my"):
        for m in pats[name].finditer(folded):
            if not free(*m.span()):
                continue
            if name == "my":
                cand = _Candidate(
                    m.start(),
                    m.end(),
                    month_table()[_squash(m.group("m1"))][0],
                    None,
                    "day missing (a month, not a date)",
                )
            else:
                cand = _textual(m, folded, pats)
            found.append(cand)
            taken.append(m.span())
    for name in ("world_dmy", "world_mdy"):
        for m in pats[name].finditer(folded):
            month = _world_month(m.group("name")) if free(*m.span()) else None
            if month is None:
                continue
            ymd = (int(m.group("year")), month, int(m.group("day")))
            found.append(_Candidate(m.start(), m.end(), GREGORIAN, ymd))
            taken.append(m.span())
    for m in pats["wire_trailer"].finditer(folded):
        month = _english_months().get(m.group("name"))
        if month and free(*m.span()):
            year = 2000 + int(m.group("yy"))
            found.append(_Candidate(m.start(), m.end(), GREGORIAN, (year, month, int(m.group("day")))))
            taken.append(m.span())
    if not found and len(folded.strip()) <= _SCRAMBLED_LIMIT:
        found.extend(_scrambled(folded))
    found.sort(key=lambda c: c.start)
    return found


@functools.lru_cache(maxsize=1)
def _english_months() -> dict[str, int]:
    symbols = icu.DateFormatSymbols(icu.Locale("en"), "gregorian")
    return {fold(name): n for n, name in enumerate(symbols.getShortMonths()[:12], start=1)}


_PART = re.compile(r"\d{1,2}:\d{2}|\d+|[^\W\d_]+(?:\s[^\W\d_]+)?")


def _scrambled(folded: str) -> list[_Candidate]:
    """A short line whose only parts are one day, one month name and one four-digit year, in
    any order, with at most a time and a label of two words beside them: a date line whose order a
    right-to-left copy scrambled (``:تحديث 04 14:02 2022 أوت``)."""
    table = month_table()
    days, years, months, others = [], [], [], 0
    for m in _PART.finditer(folded):
        part = m.group()
        if ":" in part:
            continue
        if part.isdigit():
            (years if len(part) == 4 else days if len(part) <= 2 else []).append(int(part))
            continue
        for word in (part, *part.split()):
            if _squash(word) in table:
                months.append(table[_squash(word)])
                break
        else:
            others += len(part.split())
    if len(days) == len(years) == len(months) == 1 and 1 <= days[0] <= 31 and others <= 2:
        calendar, month = months[0]
        return [_Candidate(0, len(folded), calendar, (years[0], month, days[0]))]
    return []


def _resolve(c: _Candidate) -> tuple[dt.date | None, list[str]]:
    if c.ymd is None:
        return None, [c.problem or "not a date"]
    y, m, d = c.ymd
    try:
        return to_gregorian(c.calendar, y, m, d), []
    except (ValueError, OverflowError):
        return None, [f"no such day: {y:04d}-{m:02d}-{d:02d} does not exist in the {c.calendar} calendar"]
    except ImportError:
        return None, [f"cannot convert a {c.calendar} date: generator.calendars is missing"]


def _squash(text: str) -> str:
    """A month or day name as the tables key it: no white space of any kind (a name may be
    broken across a line or spaced with other blanks in a scraped page)."""
    return "".join(text.split())


def find_date(text: str, lang: str | None = None) -> DateMatch | None:
    """The first date expression in ``text`` (see the module docstring), or None.

    Never raises for any string input.
    """
    if not isinstance(text, str) or not text:
        return None
    folded, index = _fold_with_map(text[:_SCAN_LIMIT])
    context = _script_context(folded, lang)
    candidates = _candidates(folded, context)
    complete = [
        c
        for c in candidates
        if c.ymd is not None
        or c.problem not in ("year missing: the date is not complete", "day missing (a month, not a date)")
    ]
    if not complete:
        if not candidates:
            return None
        first = candidates[0]
        return DateMatch(
            None,
            _span(first.start, first.end, index, len(text)),
            first.calendar,
            (first.problem or "not a date",),
        )
    chosen = complete[0]
    date, warnings = _resolve(chosen)
    start, end, calendar = chosen.start, chosen.end, chosen.calendar
    pats = _patterns()
    # A dual dateline: "<Hijri> الموافق <Gregorian>" or the other way round.
    later = [c for c in complete[1:] if c.start >= end and c.start - end <= 30]
    if later and pats["connector"].match(folded[end : later[0].start]):
        partner = later[0]
        other, other_warnings = _resolve(partner)
        if partner.calendar == GREGORIAN and calendar != GREGORIAN:
            if date is not None and other is not None and date != other:
                warnings.append(
                    f"the {calendar} date ({date.isoformat()}) and the Gregorian date "
                    f"({other.isoformat()}) disagree; the Gregorian date is used"
                )
            date, warnings, calendar = other, warnings + other_warnings, GREGORIAN
            if date is None:
                warnings = other_warnings
        elif calendar == GREGORIAN and partner.calendar != GREGORIAN:
            if date is not None and other is not None and date != other:
                warnings.append(
                    f"the Gregorian date ({date.isoformat()}) and the {partner.calendar} "
                    f"date ({other.isoformat()}) disagree; the Gregorian date is used"
                )
        end = partner.end
    wd = pats["weekday_before"].search(folded, max(0, start - 40), start)
    if wd:
        start = wd.start()
        weekday = weekday_table().get(_squash(wd.group("wd")))
        if date is not None and weekday is not None and weekday != date.weekday():
            warnings.append(f"the weekday does not match {date.isoformat()}; the date is used")
    return DateMatch(date, _span(start, end, index, len(text)), calendar, tuple(warnings))


def _span(start: int, end: int, index: list[int], length: int) -> tuple[int, int]:
    if not index:
        return (0, 0)
    s = index[start] if start < len(index) else length
    e = index[end - 1] + 1 if 0 < end <= len(index) else length
    return (s, e)


def parse_date_expression(s: str, lang: str | None = None) -> dt.date | None:
    """The day named by ``s`` (a whole date expression), or None. Never raises."""
    try:
        match = find_date(s, lang)
    except Exception:  # noqa: BLE001 - a parser for untrusted text must not crash its caller
        return None
    return match.date if match else None
