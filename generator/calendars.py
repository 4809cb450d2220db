"""Calendars stage: Gregorian, Hijri (Umm al-Qura and tabular) and Solar Hijri dates via ICU.

ICU (PyICU, ICU 77 / CLDR 47) is the implementation, not only the test oracle: it carries the
KACST Umm al-Qura table for 1300-1600 AH, the tabular ("civil", Friday epoch) Islamic
calendar, the Persian calendar, CLDR month names, patterns and numbering systems.

Conventions (the same as the golden vectors in ``shared/dates``):

* A civil day is the ICU instant 12:00 UTC of that day; every ICU object is pinned to GMT.
* Python dates are proleptic Gregorian; we never read ICU's (hybrid Julian/Gregorian)
  Gregorian fields, only instants, so every day of years 1..9999 converts.
* Outside the Umm al-Qura table (before 1 Muharram 1300 = 1882-11-12, after 30 Dhu al-Hijja
  1600 = 2174-11-25) ICU itself continues with the tabular civil arithmetic; both ends meet
  the table seamlessly. We rely on that (tests check it) and add nothing of our own.
* Years before the era (Gregorian days before 1 Muharram 1 AH = 622-07-19, or before
  1 Farvardin 1 SH) are ICU's proleptic extended years: 0, -1, ...
* Existence is checked with non-lenient ICU calendars (30 in a 29-day month, 30 Esfand in a
  common year, month 13 are ValueErrors), confirmed by converting back. ICU's non-lenient
  mode rejects every Hijri year below 1, so for those years the round trip alone decides.

Formatting lives in ``calendar_format`` and is re-exported here (``format_date``,
``month_name``, ``apply_digits``).
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Mapping

import icu

from .calendar_format import (
    CALENDARS,
    CLDR_CORRECTIONS,
    DIGITS,
    MONTH_NAME_FAMILIES,
    STYLES,
    apply_digits,
    check_calendar,
    foreign_month_names,
    format_date,
    format_pattern,
    from_udate,
    icu_locale_id,
    month_name,
    normalize_digits,
    skeleton_pattern,
    to_udate,
)

__all__ = [
    "CALENDARS",
    "CLDR_CORRECTIONS",
    "default_calendars",
    "DIGITS",
    "MONTH_NAME_FAMILIES",
    "STYLES",
    "UMALQURA_TABLE_RANGE",
    "apply_digits",
    "archive_key",
    "archive_label",
    "calendar_to_gregorian",
    "format_date",
    "language_date",
    "language_dates",
    "gregorian_to_calendar",
    "gregorian_to_hijri",
    "gregorian_to_persian",
    "hijri_to_gregorian",
    "make_filters",
    "month_name",
    "persian_to_gregorian",
]


@lru_cache(maxsize=256)
def default_calendars(locale: str) -> tuple[str, ...]:
    """The calendars a language shows when its configuration names none, from ICU (never a
    list of languages): the default calendar of the locale's likely full form first (``fa`` →
    ``fa_Arab_IR``: Persian), then the Gregorian one; a locale written in Arabic script that
    counts in Gregorian (``ar``, ``ur``) adds the Umm al-Qura Hijri date, which its readers
    expect beside it, when CLDR has its month names in that script (not for ``ckb``: ICU
    would print ``Muharram``)."""
    likely = icu.Locale.addLikelySubtags(icu.Locale(locale.replace("-", "_")))
    main = icu.Calendar.createInstance(likely).getType()
    main = main if main in CALENDARS else "gregorian"
    if main != "gregorian":
        return (main, "gregorian")
    hijri = "islamic-umalqura"
    if likely.getScript() == "Arab" and not foreign_month_names(
        f"{likely.getName()}@calendar={hijri}", hijri
    ):
        return ("gregorian", hijri)
    return ("gregorian",)


# Hijri years covered by ICU's Umm al-Qura table and the Gregorian days they span.
UMALQURA_TABLE_RANGE = ((1300, 1600), (dt.date(1882, 11, 12), dt.date(2174, 11, 25)))

_HIJRI_VARIANTS = MappingProxyType({"umalqura": "islamic-umalqura", "civil": "islamic-civil"})
_F = icu.UCalendarDateFields


@lru_cache(maxsize=64)
def _calendar(calendar: str, lenient: bool, thread: int) -> icu.Calendar:
    """One ICU calendar per (type, leniency, thread). Every use resets all of its fields,
    so no state leaks from one call to the next."""
    cal = icu.Calendar.createInstance(icu.TimeZone.getGMT(), icu.Locale(f"@calendar={calendar}"))
    cal.setLenient(lenient)
    return cal


def _hijri_calendar(variant: str) -> str:
    try:
        return _HIJRI_VARIANTS[variant]
    except KeyError:
        raise ValueError(f"unknown Hijri variant {variant!r}; expected 'umalqura' or 'civil'") from None


def _as_date(d: Any) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def gregorian_to_calendar(d: dt.date, calendar: str) -> tuple[int, int, int]:
    """(year, month, day) of the civil day ``d`` in an ICU calendar of ``CALENDARS``."""
    return _day_in(_as_date(d), calendar)


@lru_cache(maxsize=65536)
def _day_in(d: dt.date, calendar: str) -> tuple[int, int, int]:
    """``gregorian_to_calendar``, remembered: stories share days (100,000 stories with four
    calendars asked ICU 400,000 times for a few thousand days when the archive was planned)."""
    if check_calendar(calendar) == "gregorian":
        return d.year, d.month, d.day
    cal = _calendar(calendar, True, threading.get_ident())
    cal.setTime(to_udate(d))
    return cal.get(_F.EXTENDED_YEAR), cal.get(_F.MONTH) + 1, cal.get(_F.DATE)


def _set_fields(cal: icu.Calendar, y: int, m: int, d: int) -> float:
    cal.clear()
    cal.set(_F.EXTENDED_YEAR, y)
    cal.set(_F.MONTH, m - 1)
    cal.set(_F.DATE, d)
    cal.set(_F.HOUR_OF_DAY, 12)
    return cal.getTime()


def calendar_to_gregorian(y: int, m: int, d: int, calendar: str) -> dt.date:
    """The civil day named (y, m, d) in ``calendar``; ValueError if there is no such day
    (or it falls outside datetime.date's years 1..9999)."""
    check_calendar(calendar)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (y, m, d)):
        raise TypeError("year, month and day must be integers")
    label = f"{y}-{m:02d}-{d:02d} ({calendar})"
    if not (1 <= m <= 12 and 1 <= d <= 31 and -1000 <= y <= 12000):
        raise ValueError(f"no such day: {label}")
    if calendar == "gregorian":
        return dt.date(y, m, d)
    thread = threading.get_ident()
    try:
        udate = _set_fields(_calendar(calendar, False, thread), y, m, d)
    except icu.ICUError:
        if y >= 1:
            raise ValueError(f"no such day: {label}") from None
        # ICU's non-lenient Hijri calendars refuse every year below 1; the round trip decides.
        udate = _set_fields(_calendar(calendar, True, thread), y, m, d)
    day = from_udate(udate)
    if gregorian_to_calendar(day, calendar) != (y, m, d):
        raise ValueError(f"no such day: {label}")
    return day


def gregorian_to_hijri(d: dt.date, variant: str = "umalqura") -> tuple[int, int, int]:
    """Hijri (year, month, day) of ``d``: ``umalqura`` (ICU/KACST table 1300-1600 AH, tabular
    outside it) or ``civil`` (tabular, Friday epoch)."""
    return gregorian_to_calendar(d, _hijri_calendar(variant))


def hijri_to_gregorian(y: int, m: int, d: int, variant: str = "umalqura") -> dt.date:
    """Gregorian day of the Hijri date; ValueError for a day that does not exist."""
    return calendar_to_gregorian(y, m, d, _hijri_calendar(variant))


def gregorian_to_persian(d: dt.date) -> tuple[int, int, int]:
    """Solar Hijri (year, month, day) of ``d`` (ICU's Persian calendar)."""
    return gregorian_to_calendar(d, "persian")


def persian_to_gregorian(y: int, m: int, d: int) -> dt.date:
    """Gregorian day of a Solar Hijri date; ValueError if it does not exist (30 Esfand in a
    common year, 31 Mehr ...)."""
    return calendar_to_gregorian(y, m, d, "persian")


def archive_key(d: dt.date, calendar: str) -> tuple[int, int]:
    """(year, month) of ``d`` in ``calendar``: the month archive the day belongs to."""
    y, m, _ = gregorian_to_calendar(d, calendar)
    return y, m


def archive_label(
    year: int,
    month: int,
    lang: str,
    calendar: str,
    *,
    locale: str | None = None,
    digits: str | None = None,
    month_names: str | None = None,
    era: bool = False,
) -> str:
    """Heading of a month archive, e.g. ``رمضان 1443`` or ``كانون الثاني 2022``.

    Uses ICU's pattern for the skeleton ``yMMMM`` of the locale and calendar (so the order
    and digits are CLDR's; note fa@persian is ``y MMMM``); the era mark (هـ) is dropped
    unless ``era`` is true."""
    first = _first_placeable_day(year, month, calendar)
    locale_id = icu_locale_id(lang, locale, calendar, normalize_digits(digits))
    pattern = skeleton_pattern(locale_id, "GyMMMM" if era else "yMMMM", era)
    return format_pattern(first, locale_id, calendar, pattern, month_names)


def _first_placeable_day(year: int, month: int, calendar: str) -> dt.date:
    """The month's first day, or its first day inside datetime's years 1..9999: the Hijri
    month that holds 1 January of year 1 began before it (its archive page still exists)."""
    for day in range(1, 31):
        try:
            return calendar_to_gregorian(year, month, day, calendar)
        except ValueError:
            continue
    raise ValueError(f"no day of {year}-{month:02d} ({calendar}) is inside the years 1..9999")


def _setting(settings: Any, name: str, default: Any) -> Any:
    if settings is None:
        return default
    if isinstance(settings, Mapping):
        return settings.get(name, default)
    return getattr(settings, name, default)


def _filter_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return _as_date(value)


def make_filters(lang: str, settings: Any = None) -> dict[str, Callable[..., str]]:
    """Jinja2 filters for one language.

    ``settings`` is the language's config (``generator.config.LanguageConfig`` or a mapping)
    with optional ``locale``, ``digits`` (``default``/``latn``/``arab``/``arabext``),
    ``arabic_months`` (month-name family) and ``calendars`` (``islamic-civil`` listed without
    ``islamic-umalqura`` makes ``hijri`` tabular). Filters take a date, datetime or ISO string
    and return a plain string (``""`` for None)."""
    locale = _setting(settings, "locale", None)
    digits = normalize_digits(_setting(settings, "digits", None))
    months = _setting(settings, "arabic_months", None)
    calendars = tuple(_setting(settings, "calendars", None) or default_calendars(locale or lang))
    hijri_calendar = (
        "islamic-civil"
        if "islamic-civil" in calendars and "islamic-umalqura" not in calendars
        else "islamic-umalqura"
    )
    # Validate once, now, so a bad setting fails at start-up and not in a template.
    format_date(dt.date(2022, 1, 11), lang, "gregorian", locale=locale, digits=digits, month_names=months)

    def date_in(d: Any, calendar: str, style: str = "long") -> str:
        day = _filter_date(d)
        if day is None:
            return ""
        return format_date(day, lang, calendar, style, locale=locale, digits=digits, month_names=months)

    def gregorian(d: Any, style: str = "long") -> str:
        return date_in(d, "gregorian", style)

    def hijri(d: Any, style: str = "long") -> str:
        return date_in(d, hijri_calendar, style)

    def solar_hijri(d: Any, style: str = "long") -> str:
        return date_in(d, "persian", style)

    return {"gregorian": gregorian, "hijri": hijri, "solar_hijri": solar_hijri, "date_in": date_in}


def language_date(day: dt.date, lang: Any, calendar: str, style: str = "long") -> str:
    """``day`` in ``calendar`` as the pages of ``lang`` (a ``LanguageConfig``) print it: its
    locale, its digits setting and its Arabic month style."""
    return format_date(
        day,
        lang.code,
        calendar,
        style,
        locale=lang.locale,
        digits=None if lang.digits == "default" else lang.digits,
        month_names=lang.arabic_months,  # it concerns Arabic locales only (calendar_format)
    )


def language_dates(day: dt.date, lang: Any, style: str = "long", separator: str = " · ") -> str:
    """``day`` in every calendar ``lang`` shows, in order, as one line of text: the text of
    the pages' date line (``partials/dates.html``), for places without the page's markup
    (the search index)."""
    return separator.join(
        language_date(day, lang, calendar, style if n == 0 else "long")
        for n, calendar in enumerate(lang.calendars)
    )
