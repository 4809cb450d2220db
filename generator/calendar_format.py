"""Formatting half of the calendars stage: dates and month names printed by ICU (PyICU).

ICU is both the oracle and the implementation: patterns, month names, era marks and digits
all come from ICU 77 / CLDR 47. This module only chooses the ICU locale id, caches the
(slow to build) ICU formatter objects and applies a few documented, deliberate changes:

* ``month_names`` (Arabic, Gregorian calendar only) swaps in another CLDR family of month
  names: ``egyptian`` (يناير, from ``ar_EG``), ``levantine`` (كانون الثاني, ``ar_SY``),
  ``maghrebi`` (جانفي, ``ar_DZ``) or ``both`` (``كانون الثاني/يناير``). The locale's pattern
  and digits are kept.
* ``CLDR_CORRECTIONS``: CLDR 47's Urdu Hijri wide month names contain a stray space
  (``ر بیع الاول``); we print ``ربیع الاول``. This is the only text we change.
* ``pattern_choice``: where a locale has no pattern of its own for a calendar and style and
  ICU falls back to CLDR's root pattern (Persian full dates in the Persian calendar,
  ``y MMMM d, EEEE``: year first, a Latin comma), the locale's own nearest pattern is used
  (``سه‌شنبه ۲۱ دی ۱۴۰۰``); an era mark CLDR has only in another script (``AP`` in Sorani)
  is left out. Names and digits stay ICU's; ``docs/dates.md`` gives each reason.
* Gregorian dates are proleptic (as Python's ``datetime.date``); ICU's default Gregorian
  calendar switches to Julian before 1582-10-15. Identical output from 1582-10-15 on.

Invisible characters are kept on purpose: U+200F RLM around the slashes of Arabic numeric
dates (needed for the slashes to display correctly in right-to-left text), ZWNJ inside Persian
words (orthography) and the ZWJ of the Persian era ``ه‍.ق.``.

Formatter objects are mutable C++ objects that are not thread-safe, so the caches are keyed
by thread id as well: each thread gets its own objects and nothing is shared between threads.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache
from types import MappingProxyType

import icu

from .languages import char_script
from .languages import script as likely_script

CALENDARS = ("gregorian", "islamic-umalqura", "islamic-civil", "persian")
STYLES = ("full", "long", "medium", "short")
DIGITS = ("latn", "arab", "arabext")
MONTH_NAME_FAMILIES = MappingProxyType(
    {"egyptian": "ar_EG", "levantine": "ar_SY", "maghrebi": "ar_DZ", "both": None}
)

# CLDR month names we deliberately do not print as CLDR has them:
# (language, calendar family, width) -> {CLDR name: printed name}. Applies to both contexts.
CLDR_CORRECTIONS = MappingProxyType(
    {
        ("ur", "islamic", "wide"): MappingProxyType(
            {
                "ر بیع الاول": "ربیع الاول",
                "ر بیع الثانی": "ربیع الثانی",
            }
        ),
    }
)

_FAMILY_LANGUAGES = frozenset(locale.split("_")[0] for locale in MONTH_NAME_FAMILIES.values() if locale)

_STYLE_CODES = MappingProxyType(
    {
        "full": icu.DateFormat.kFull,
        "long": icu.DateFormat.kLong,
        "medium": icu.DateFormat.kMedium,
        "short": icu.DateFormat.kShort,
    }
)
_WIDTHS = MappingProxyType(
    {
        "wide": icu.DateFormatSymbols.WIDE,
        "abbreviated": icu.DateFormatSymbols.ABBREVIATED,
        "narrow": icu.DateFormatSymbols.NARROW,
    }
)
_CONTEXTS = MappingProxyType(
    {"format": icu.DateFormatSymbols.FORMAT, "standalone": icu.DateFormatSymbols.STANDALONE}
)
_DIGIT_SETS = MappingProxyType(
    {
        "latn": "0123456789",
        "arab": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
        "arabext": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
    }
)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Far before year 1: makes ICU's Gregorian calendar proleptic (no Julian switch).
_PURE_GREGORIAN_CHANGE = -8.64e12


def to_udate(d: dt.date) -> float:
    """ICU instant (PyICU uses seconds) of 12:00 UTC on the civil day ``d`` (proleptic)."""
    return (d.toordinal() - _EPOCH_ORDINAL) * 86400.0 + 43200.0


def from_udate(udate: float) -> dt.date:
    """The civil (UTC) day of an ICU instant; ValueError outside datetime.date's range."""
    ordinal = int(udate // 86400) + _EPOCH_ORDINAL
    if not 1 <= ordinal <= dt.date.max.toordinal():
        raise ValueError("the day is outside the years 1..9999 that datetime.date supports")
    return dt.date.fromordinal(ordinal)


def check_calendar(calendar: str) -> str:
    if calendar not in CALENDARS:
        raise ValueError(f"unknown calendar {calendar!r}; expected one of {CALENDARS}")
    return calendar


def normalize_digits(digits: str | None) -> str | None:
    """``None``/``"default"`` (CLDR default of the locale) or one of ``DIGITS``."""
    if digits in (None, "", "default"):
        return None
    if digits not in DIGITS:
        raise ValueError(f"unknown digits {digits!r}; expected None, 'default' or one of {DIGITS}")
    return digits


@lru_cache(maxsize=8)
def _digit_table(digits: str) -> dict:
    target = _DIGIT_SETS[digits]
    return str.maketrans({src[i]: target[i] for src in _DIGIT_SETS.values() for i in range(10)})


def apply_digits(text: str, digits: str | None) -> str:
    """Rewrite every Latin, Arabic-Indic (U+0660..) or Persian (U+06F0..) digit of ``text`` in
    the ``digits`` script (``latn``, ``arab``, ``arabext``). ``None``/``"default"``: unchanged."""
    digits = normalize_digits(digits)
    return text if digits is None else text.translate(_digit_table(digits))


def _split_locale(locale_id: str) -> tuple[str, dict[str, str]]:
    base, _, rest = locale_id.partition("@")
    base = base.replace("-", "_")
    keywords = dict(kv.split("=", 1) for kv in rest.split(";") if "=" in kv)
    return base, keywords


@lru_cache(maxsize=1024)
def icu_locale_id(lang: str, locale: str | None, calendar: str, digits: str | None) -> str:
    """The explicit ICU locale id, e.g. ``ar_SY@calendar=gregorian;numbers=latn``.

    The calendar is always named (ICU's default calendar differs by locale and version);
    ``numbers=`` is only added when digits are asked for, so ``None`` keeps CLDR's default."""
    base, keywords = _split_locale(locale or lang)
    keywords["calendar"] = check_calendar(calendar)
    digits = normalize_digits(digits)
    if digits:
        keywords["numbers"] = digits
    return base + "@" + ";".join(f"{k}={v}" for k, v in sorted(keywords.items()))


def _calendar_family(calendar: str) -> str:
    return "islamic" if calendar.startswith("islamic") else calendar


def _language(locale_id: str) -> str:
    return _split_locale(locale_id)[0].split("_")[0]


def _correct(names: tuple[str, ...], lang: str, calendar: str, width: str) -> tuple[str, ...]:
    fixes = CLDR_CORRECTIONS.get((lang, _calendar_family(calendar), width))
    return tuple(fixes.get(n, n) for n in names) if fixes else names


@lru_cache(maxsize=256)
def cldr_month_names(
    locale_id: str, calendar: str, width: str = "wide", context: str = "format"
) -> tuple[str, ...]:
    """The 12 month names exactly as ICU/CLDR has them (no corrections)."""
    if width not in _WIDTHS or context not in _CONTEXTS:
        raise ValueError(f"width must be in {tuple(_WIDTHS)}, context in {tuple(_CONTEXTS)}")
    base, _ = _split_locale(locale_id)
    # The (locale, type) constructor: the locale-only one ignores ``@calendar=``.
    symbols = icu.DateFormatSymbols(icu.Locale(base), check_calendar(calendar))
    return tuple(symbols.getMonths(_CONTEXTS[context], _WIDTHS[width]))[:12]


def _families_apply(locale_id: str, calendar: str) -> bool:
    """The month-name families are CLDR's Gregorian names of locales of one language
    (``MONTH_NAME_FAMILIES``): the setting concerns Gregorian dates of locales of that
    language (``ar``, ``ar_SY``, ``ar_MA`` ...), whatever the site's code for it (``arz``)."""
    return calendar == "gregorian" and _language(locale_id) in _FAMILY_LANGUAGES


def _check_family(month_names: str | None) -> str | None:
    if month_names is not None and month_names not in MONTH_NAME_FAMILIES:
        raise ValueError(
            f"unknown month_names {month_names!r}; expected None or one of {tuple(MONTH_NAME_FAMILIES)}"
        )
    return month_names


@lru_cache(maxsize=256)
def month_names_for(
    locale_id: str,
    calendar: str,
    width: str = "wide",
    context: str = "format",
    month_names: str | None = None,
) -> tuple[str, ...]:
    """The 12 names we print: CLDR's, with ``CLDR_CORRECTIONS`` and, for Arabic Gregorian
    dates, the chosen month-name family (ignored for other languages and calendars)."""
    _check_family(month_names)
    lang = _language(locale_id)
    if month_names and _families_apply(locale_id, calendar):
        levantine = cldr_month_names("ar_SY", calendar, width, context)
        egyptian = cldr_month_names("ar_EG", calendar, width, context)
        if month_names == "both":
            return tuple(f"{lev}/{egy}" if lev != egy else lev for lev, egy in zip(levantine, egyptian))
        return cldr_month_names(MONTH_NAME_FAMILIES[month_names], calendar, width, context)
    return _correct(cldr_month_names(locale_id, calendar, width, context), lang, calendar, width)


def month_name(
    month: int,
    lang: str,
    calendar: str,
    *,
    locale: str | None = None,
    width: str = "wide",
    context: str = "format",
    month_names: str | None = None,
) -> str:
    """Name of ``month`` (1..12) in ``calendar`` from CLDR via ICU (see ``month_names_for``)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    locale_id = icu_locale_id(lang, locale, calendar, None)
    return month_names_for(locale_id, calendar, width, context, month_names)[month - 1]


def _install(
    fmt: icu.SimpleDateFormat, locale_id: str, calendar: str, month_names: str | None
) -> icu.SimpleDateFormat:
    """GMT, proleptic Gregorian and our month names on a fresh ICU formatter."""
    loc = icu.Locale(locale_id)
    if calendar == "gregorian":
        cal = icu.GregorianCalendar(icu.TimeZone.getGMT(), loc)
        cal.setGregorianChange(_PURE_GREGORIAN_CHANGE)
        fmt.setCalendar(cal)
    fmt.setTimeZone(icu.TimeZone.getGMT())
    wide = month_names_for(locale_id, calendar, "wide", "format", month_names)
    short = month_names_for(locale_id, calendar, "abbreviated", "format", month_names)
    if wide != cldr_month_names(locale_id, calendar, "wide") or short != cldr_month_names(
        locale_id, calendar, "abbreviated"
    ):
        # PyICU can only replace the *format* names; our patterns use MMMM/MMM (format
        # context), which the tests check for every locale where names are replaced.
        symbols = icu.DateFormatSymbols(loc, calendar)
        symbols.setMonths(list(wide))
        symbols.setShortMonths(list(short))
        fmt.setDateFormatSymbols(symbols)
    return fmt


def _icu_pattern(locale_id: str, style: str) -> str:
    return icu.DateFormat.createDateInstance(_STYLE_CODES[style], icu.Locale(locale_id)).toPattern()


_SKELETONS = MappingProxyType({"full": "yMMMMEEEEd", "long": "yMMMMd", "medium": "yMMMd", "short": "yMd"})
_SEPARATORS = " ,\u060c\u00a0\u202f"


def foreign_letters(text: str, locale_id: str) -> str:
    """The letters of ``text`` that are not in the locale's likely script (``Jumada II`` for
    ``ckb``: CLDR has no Sorani Hijri month names and ICU falls back to the root's Latin)."""
    script = likely_script(_split_locale(locale_id)[0])
    if not script:
        return ""
    return "".join(ch for ch in text if ch.isalpha() and char_script(ch) not in (script, "Zyyy", "Zinh"))


def foreign_month_names(locale_id: str, calendar: str) -> tuple[str, ...]:
    """The month names CLDR gives the locale for ``calendar`` that are written in another
    script (ICU's root fallback: ``Muharram`` for Sorani); empty when all are its own."""
    names = month_names_for(locale_id, calendar)
    return tuple(name for name in names if foreign_letters(name, locale_id))


@lru_cache(maxsize=256)
def foreign_era(locale_id: str, calendar: str) -> bool:
    """Is the locale's era mark for ``calendar`` only the root's, in another script (``AP``,
    ``AH`` for ``ckb`` and ``ps``)? Such an era is left out of the site's patterns: the month
    names already say which calendar a date is in."""
    symbols = icu.DateFormatSymbols(icu.Locale(_split_locale(locale_id)[0]), check_calendar(calendar))
    return any(foreign_letters(era, locale_id) for era in symbols.getEras())


def _drop_field(pattern: str, letter: str) -> str:
    """Remove the ``letter`` fields of a pattern (outside quoted literals) with the separators
    (spaces, commas) that joined them to the rest: those before the field, or after it when
    the field opens the pattern."""
    out: list[str] = []
    quoted = opening = False
    for ch in pattern:
        if ch == "'":
            quoted = not quoted
        elif ch == letter and not quoted:
            while out and out[-1] in _SEPARATORS:
                out.pop()
            opening = not out
            continue
        elif opening and ch in _SEPARATORS:
            continue
        opening = False
        out.append(ch)
    return "".join(out).strip()


def _drop_era(pattern: str) -> str:
    """Remove ``G`` fields (and what joined them) outside quoted literals."""
    return _drop_field(pattern, "G")


def _is_root(pattern: str, calendar: str, style: str) -> bool:
    return _drop_era(pattern) == _drop_era(_icu_pattern(f"und@calendar={calendar}", style))


def _best(locale_id: str, skeleton: str) -> str:
    return icu.DateTimePatternGenerator.createInstance(icu.Locale(locale_id)).getBestPattern(skeleton)


def _replacement(locale_id: str, calendar: str, style: str) -> tuple[str, str] | None:
    """The locale's own pattern to print ``style`` dates with where ICU's is only the root's,
    and why; ``None`` when the locale has nothing of its own to offer."""
    base, keywords = _split_locale(locale_id)
    numbers = keywords.get("numbers")
    gregorian_id = icu_locale_id(_language(locale_id), base, "gregorian", numbers)
    if calendar != "gregorian":
        gregorian = _icu_pattern(gregorian_id, style)
        if not _is_root(gregorian, "gregorian", style):
            if "G" in _icu_pattern(locale_id, "long"):
                gregorian = gregorian.replace("y", "y G", 1)
            return gregorian, "the locale's Gregorian pattern of this style"
    if style != "full":
        full = _icu_pattern(locale_id, "full")
        if not _is_root(full, calendar, "full"):
            return _drop_field(full, "E"), "the locale's full pattern without the weekday"
    for other in (calendar, *CALENDARS):
        other_id = icu_locale_id(_language(locale_id), base, other, numbers)
        best = _best(other_id, _SKELETONS[style])
        if _drop_era(best) != _drop_era(_best(f"und@calendar={other}", _SKELETONS[style])):
            return best, f"the locale's own pattern for the skeleton {_SKELETONS[style]}"
    return None


@lru_cache(maxsize=512)
def pattern_choice(locale_id: str, calendar: str, style: str) -> tuple[str, str]:
    """The pattern the site prints ``style`` dates of ``calendar`` with, and why it is not
    ICU's own (``""`` when it is).

    ICU's pattern, except where CLDR has none of the locale's own for that calendar and style
    and ICU falls back to the root's generic one (Persian full dates in the Persian calendar,
    ``y MMMM d, EEEE``: year first, a Latin comma, which Persian readers reject; Sorani full
    dates; Pashto long Gregorian dates). There the locale's own pattern nearest to it is used:
    its Gregorian pattern of that style (the era after the year when its long pattern for
    the calendar shows one), else its full pattern without the weekday, else ICU's best
    pattern of the locale for the style's skeleton. An era mark CLDR only has in another
    script (``AP`` in Sorani) is left out (``foreign_era``)."""
    own = _icu_pattern(locale_id, style)
    chosen, reasons = own, []
    if _is_root(own, calendar, style):
        found = _replacement(locale_id, calendar, style)
        if found:
            chosen = found[0]
            reasons.append(f"root fallback `{own}` replaced by {found[1]}")
    if "G" in chosen and foreign_era(locale_id, calendar):
        chosen = _drop_era(chosen)
        reasons.append("era mark only in another script, left out")
    return chosen, "; ".join(reasons)


def style_pattern(locale_id: str, calendar: str, style: str) -> str:
    """The pattern the site prints ``style`` dates of ``calendar`` with (``pattern_choice``)."""
    return pattern_choice(locale_id, calendar, style)[0]


@lru_cache(maxsize=512)
def _style_formatter(
    locale_id: str, calendar: str, style: str, month_names: str | None, thread: int
) -> icu.SimpleDateFormat:
    fmt = icu.SimpleDateFormat(style_pattern(locale_id, calendar, style), icu.Locale(locale_id))
    return _install(fmt, locale_id, calendar, month_names)


@lru_cache(maxsize=512)
def _pattern_formatter(
    locale_id: str, calendar: str, pattern: str, month_names: str | None, thread: int
) -> icu.SimpleDateFormat:
    fmt = icu.SimpleDateFormat(pattern, icu.Locale(locale_id))
    return _install(fmt, locale_id, calendar, month_names)


@lru_cache(maxsize=1024)
def _resolve(
    lang: str, calendar: str, style: str, locale: str | None, digits: str | None, month_names: str | None
) -> tuple[str, str, str, str | None]:
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    _check_family(month_names)
    locale_id = icu_locale_id(lang, locale, check_calendar(calendar), digits)
    if not (month_names and _families_apply(locale_id, calendar)):
        month_names = None  # the setting only concerns Arabic Gregorian dates
    return locale_id, calendar, style, month_names


def format_date(
    d: dt.date,
    lang: str,
    calendar: str = "gregorian",
    style: str = "long",
    *,
    locale: str | None = None,
    digits: str | None = None,
    month_names: str | None = None,
) -> str:
    """``d`` printed by ICU in ``calendar`` with the locale's CLDR pattern for ``style``.

    ``locale`` is an ICU locale id (default: the language's own, e.g. ``ar``); ``digits``
    ``None`` keeps the locale's CLDR default, else ``latn``/``arab``/``arabext``;
    ``month_names`` picks the Arabic Gregorian month-name family (ignored elsewhere)."""
    if not isinstance(d, dt.date):
        raise TypeError(f"format_date needs a datetime.date, got {type(d).__name__}")
    key = _resolve(lang, calendar, style, locale, digits, month_names)
    return _style_formatter(*key, threading.get_ident()).format(to_udate(d))


@lru_cache(maxsize=256)
def skeleton_pattern(locale_id: str, skeleton: str, era: bool = True) -> str:
    """ICU's best pattern for a skeleton (e.g. ``yMMMM``); ``era=False`` drops ``G`` fields, as
    does an era mark CLDR has only in another script (``foreign_era``)."""
    pattern = _best(locale_id, skeleton)
    calendar = _split_locale(locale_id)[1].get("calendar", "gregorian")
    return pattern if era and not foreign_era(locale_id, calendar) else _drop_era(pattern)


def format_pattern(
    d: dt.date, locale_id: str, calendar: str, pattern: str, month_names: str | None = None
) -> str:
    """``d`` printed by ICU with an explicit pattern (cached formatter)."""
    if not (month_names and _families_apply(locale_id, calendar)):
        month_names = None
    fmt = _pattern_formatter(locale_id, check_calendar(calendar), pattern, month_names, threading.get_ident())
    return fmt.format(to_udate(d))


def formats_table(languages, day: dt.date = dt.date(2022, 1, 11)) -> str:
    """``docs/dates.md``: the full and long formats (``long`` is the lists' and cards') of each
    language and calendar, printed by the code the site uses, with ICU's own pattern and the
    reason wherever the site's differs (``python -m generator.calendar_format``)."""
    from .calendars import language_date

    lines = [
        "# Dates as the site prints them",
        "",
        f"Made by `python -m generator.calendar_format > docs/dates.md` from the demo's `site.toml`, for {day.isoformat()},",
        "with the same functions the pages use; a test checks that this file is current. `full` is the",
        "first calendar's style on article pages; `long` is every other date (lists, cards, search",
        "results). Names, digits and conversions are ICU's; a pattern differs from ICU's own only where",
        "ICU's is CLDR's root fallback or holds an era mark CLDR has only in another script (see",
        "`pattern_choice`).",
        "",
        "| language | calendar | style | printed | pattern | why not ICU's own pattern |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for lang in languages:
        for calendar in lang.calendars:
            locale_id = icu_locale_id(lang.code, lang.locale, calendar, None)
            for style in ("full", "long"):
                chosen, reason = pattern_choice(locale_id, calendar, style)
                note = reason or "same"
                text = language_date(day, lang, calendar, style)
                lines.append(f"| {lang.code} | {calendar} | {style} | {text} | `{chosen}` | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    from .config import load_config

    print(formats_table(load_config(Path(__file__).resolve().parents[1]).languages), end="")
