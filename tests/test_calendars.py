"""Tests for generator.calendars / generator.calendar_format against ICU golden vectors.

The vectors live in ../shared/dates (read at run time, never copied into the repo). Without
them the vector tests are skipped, except under CI=true where a missing file is a failure.

Vector counts (each bulk test asserts its own count, so a changed file is noticed):
  gregorian_to_hijri.csv   1,825 rows x (umalqura, civil) x (to Hijri, back)   = 7,300 checks
  hijri_month_starts.csv   3,612 months x 2 variants x 5 checks               = 36,120 checks
                           (first day, last day, both back, day 30 of 29-day months rejected)
  rendered.json            30 days x 29 locale ids x 4 styles                  = 3,480 strings
                           + 30 days x 3 calendar conversions                 = 90
                           + the 3,480 strings with each of 3 digit overrides = 10,440
  hijri_month_names.json   18 locales x 4 calendars (islamic as umalqura and civil,
                           persian, gregorian) x 2 contexts x 3 widths x 12    = 5,184 names

Documented deviation from ICU encoded below: CLDR_CORRECTIONS (Urdu Hijri wide month names
without CLDR's stray space, "ر بیع الاول" -> "ربیع الاول").
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from generator.calendars import (
    CALENDARS,
    CLDR_CORRECTIONS,
    default_calendars,
    UMALQURA_TABLE_RANGE,
    apply_digits,
    archive_key,
    archive_label,
    format_date,
    gregorian_to_hijri,
    gregorian_to_persian,
    hijri_to_gregorian,
    make_filters,
    month_name,
    persian_to_gregorian,
)
from generator.calendar_format import cldr_month_names, icu_locale_id

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "dates"


def _need(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"golden vector file {path} is missing (CI=true: not skipping)")
        pytest.skip(f"golden vectors not available: {path} (shared/dates is outside the repo)")
    return path


@lru_cache(maxsize=None)
def _load_json(name: str) -> dict:
    return json.loads(_need(name).read_text(encoding="utf-8"))


def _load_csv(name: str) -> list[dict]:
    with _need(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _iso(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def _ours(text: str, locale_id: str, calendar: str) -> str:
    """ICU's text with our documented CLDR corrections applied (the only deviation)."""
    lang = locale_id.split("@")[0].split("_")[0]
    family = "islamic" if calendar.startswith("islamic") else calendar
    for (c_lang, c_family, _width), fixes in CLDR_CORRECTIONS.items():
        if (c_lang, c_family) == (lang, family):
            for wrong, right in fixes.items():
                text = text.replace(wrong, right)
    return text


def _words(text: str) -> list[str]:
    import re

    return sorted(re.findall(r"\w+(?:\u200c\w+)*", text))


def _native(day: dt.date, text: str, locale_id: str, calendar: str, style: str) -> tuple[str, bool]:
    """What the site prints for ICU's ``text``: ICU's own text, with the CLDR corrections
    (``_ours``); where ICU's pattern is only CLDR's root fallback (``../shared/dates/README``:
    ``fa@calendar=persian`` full), the locale's own Gregorian pattern applied to the same date
    by ICU, which must hold exactly ICU's words and numbers. Second value: was it replaced."""
    import icu

    from generator.calendar_format import _icu_pattern, style_pattern, to_udate

    own = _icu_pattern(locale_id, style)
    base = locale_id.split("@")[0]
    chosen = style_pattern(f"{base}@calendar={calendar}", calendar, style)
    if chosen == own:
        return _ours(text, locale_id, calendar), False
    root = _icu_pattern(f"und@calendar={calendar}", style)
    assert own.replace("G", "").strip() == root.replace("G", "").strip(), (locale_id, style, own)
    fmt = icu.SimpleDateFormat(chosen, icu.Locale(locale_id))
    fmt.setTimeZone(icu.TimeZone.getGMT())
    want = fmt.format(to_udate(day))
    assert _words(want) == _words(_ours(text, locale_id, calendar)), (want, text)
    return want, True


def _fields(pattern: str) -> set[str]:
    """The field letters of an ICU pattern (outside quoted literals)."""
    import re

    return set(re.sub(r"'[^']*'", "", pattern)) & set("GyMLdEc")


def _assert_none(mismatches: list, what: str) -> None:
    assert not mismatches, f"{len(mismatches)} {what} mismatches, first: {mismatches[:10]}"


# --- conversions against the CSV vectors -----------------------------------------------


def test_gregorian_to_hijri_csv_every_row():
    rows = _load_csv("gregorian_to_hijri.csv")
    bad, checked = [], 0
    for r in rows:
        day = _iso(r["gregorian"])
        for variant, col in (("umalqura", "icu_umalqura"), ("civil", "icu_civil")):
            want = tuple(int(r[f"{col}_{k}"]) for k in "ymd")
            got = gregorian_to_hijri(day, variant)
            back = hijri_to_gregorian(*want, variant=variant)
            checked += 2
            if got != want or back != day:
                bad.append((r["gregorian"], variant, want, got, back))
        assert day.strftime("%A").lower() == r["weekday"]
    _assert_none(bad, "gregorian<->hijri")
    assert len(rows) == 1825 and checked == 7300  # 1,825 x 2 variants x 2 directions


def test_hijri_month_starts_csv_every_month_both_directions():
    rows = _load_csv("hijri_month_starts.csv")
    bad, checked = [], 0
    for r in rows:
        y, m = int(r["hijri_year"]), int(r["hijri_month"])
        for variant, col in (("umalqura", "icu_umalqura"), ("civil", "icu_civil")):
            first, days = _iso(r[f"{col}_first"]), int(r[f"{col}_days"])
            last = first + dt.timedelta(days=days - 1)
            problems = []
            if hijri_to_gregorian(y, m, 1, variant) != first:
                problems.append("first day")
            if hijri_to_gregorian(y, m, days, variant) != last:
                problems.append("last day")
            if gregorian_to_hijri(first, variant) != (y, m, 1):
                problems.append("first back")
            if gregorian_to_hijri(last, variant) != (y, m, days):
                problems.append("last back")
            if days == 29:
                try:
                    hijri_to_gregorian(y, m, 30, variant)
                    problems.append("day 30 accepted")
                except ValueError:
                    pass
            checked += 5
            if problems:
                bad.append((y, m, variant, problems))
    _assert_none(bad, "month-start")
    assert len(rows) == 3612 and checked == 36120
    # The table covers exactly 1300..1600 AH.
    assert (int(rows[0]["hijri_year"]), int(rows[-1]["hijri_year"])) == UMALQURA_TABLE_RANGE[0]


def test_month_lengths_are_29_or_30_and_contiguous():
    rows = _load_csv("hijri_month_starts.csv")
    for a, b in zip(rows, rows[1:]):
        start = _iso(a["icu_umalqura_first"])
        assert int(a["icu_umalqura_days"]) in (29, 30)
        assert start + dt.timedelta(days=int(a["icu_umalqura_days"])) == _iso(b["icu_umalqura_first"])


def test_rendered_json_calendar_conversions():
    dates = _load_json("rendered.json")["dates"]
    bad = []
    for iso, entry in dates.items():
        day = _iso(iso)
        got = {
            "islamic-umalqura": gregorian_to_hijri(day),
            "islamic-civil": gregorian_to_hijri(day, "civil"),
            "persian": gregorian_to_persian(day),
        }
        for cal, text in entry["calendars"].items():
            if "%04d-%02d-%02d" % got[cal] != text:
                bad.append((iso, cal, text, got[cal]))
    _assert_none(bad, "calendar conversion")
    assert len(dates) == 30


# --- rendering against rendered.json -----------------------------------------------------


def _rendered_cases():
    for iso, entry in _load_json("rendered.json")["dates"].items():
        for locale_id, styles in entry["icu"].items():
            base, _, kw = locale_id.partition("@")
            calendar = kw.split("=", 1)[1]
            for style, value in styles.items():
                yield _iso(iso), base, calendar, style, value["text"], locale_id


def test_rendered_json_every_string_equals_icu():
    bad, n, corrected, native = [], 0, 0, set()
    for day, base, calendar, style, text, locale_id in _rendered_cases():
        want, replaced = _native(day, text, locale_id, calendar, style)
        if replaced:
            native.add((locale_id, style))
        else:
            corrected += want != text
        got = format_date(day, base.split("_")[0], calendar, style, locale=base)
        n += 1
        if got != want:
            bad.append((day.isoformat(), locale_id, style, want, got))
    _assert_none(bad, "rendering")
    assert n == 30 * 29 * 4
    # The one root-fallback pattern of the shared README, and no other: Persian full dates in
    # the Persian calendar (every Persian locale of the file).
    assert native and all(
        loc.startswith("fa") and "persian" in loc and style == "full" for loc, style in native
    )
    # ur and ur_IN, 2029-08-11 (30 Rabi I 1451), full and long: CLDR's stray space is still
    # there in ICU's text. If CLDR fixes it this drops to 0 and the correction can go.
    assert corrected == 4


def test_rendered_json_digit_overrides_equal_digit_mapping():
    bad, n = [], 0
    for day, base, calendar, style, text, locale_id in _rendered_cases():
        for digits in ("latn", "arab", "arabext"):
            want = apply_digits(_native(day, text, locale_id, calendar, style)[0], digits)
            got = format_date(day, base.split("_")[0], calendar, style, locale=base, digits=digits)
            n += 1
            if got != want:
                bad.append((day.isoformat(), locale_id, style, digits, want, got))
    _assert_none(bad, "digit override")
    assert n == 30 * 29 * 4 * 3


def test_rendered_json_patterns_we_rename_months_in_use_format_context():
    # PyICU can only replace format-context names; no pattern where we do uses LLLL/LLL.
    patterns = _load_json("rendered.json")["patterns"]["icu77"]
    for locale_id, styles in patterns.items():
        if locale_id.startswith(("ar", "ur")):
            assert all("L" not in p for p in styles.values()), locale_id


# --- month names -------------------------------------------------------------------------


def test_hijri_month_names_json_every_name():
    locales = _load_json("hijri_month_names.json")["locales"]
    bad, n, corrected = [], 0, 0
    for loc, cals in locales.items():
        for family, ours in (
            ("islamic", ("islamic-umalqura", "islamic-civil")),
            ("persian", ("persian",)),
            ("gregorian", ("gregorian",)),
        ):
            for context in ("format", "standalone"):
                for width in ("wide", "abbreviated", "narrow"):
                    names = cals[family][context][width]
                    fixes = CLDR_CORRECTIONS.get((loc.split("_")[0], family, width), {})
                    for calendar in ours:
                        assert cldr_month_names(loc, calendar, width, context) == tuple(names)
                        for m, name in enumerate(names, 1):
                            want = fixes.get(name, name)
                            corrected += want != name
                            got = month_name(
                                m, loc.split("_")[0], calendar, locale=loc, width=width, context=context
                            )
                            n += 1
                            if got != want:
                                bad.append((loc, calendar, context, width, m, want, got))
    _assert_none(bad, "month name")
    assert n == 18 * 4 * 2 * 3 * 12
    # ur, ur_IN x umalqura/civil x format/standalone x months 3 and 4
    assert corrected == 2 * 2 * 2 * 2


def test_urdu_stray_space_is_a_documented_correction():
    assert cldr_month_names("ur", "islamic-umalqura")[2] == "ر بیع الاول"  # CLDR 47 as is
    assert month_name(3, "ur", "islamic-umalqura") == "ربیع الاول"
    assert month_name(4, "ur", "islamic-civil", context="standalone") == "ربیع الثانی"
    assert "ربیع الاول" in format_date(dt.date(2022, 10, 1), "ur", "islamic-umalqura")
    assert month_name(3, "ar", "islamic-umalqura") == "ربيع الأول"


def test_arabic_month_name_families():
    locales = _load_json("hijri_month_names.json")["locales"]
    lev = locales["ar_SY"]["gregorian"]["format"]["wide"]
    egy = locales["ar_EG"]["gregorian"]["format"]["wide"]
    mag = locales["ar_DZ"]["gregorian"]["format"]["wide"]
    for m in range(1, 13):
        for loc in ("ar", "ar_SA", "ar_SY", "ar_DZ"):
            assert month_name(m, "ar", "gregorian", locale=loc, month_names="levantine") == lev[m - 1]
            assert month_name(m, "ar", "gregorian", locale=loc, month_names="egyptian") == egy[m - 1]
            assert month_name(m, "ar", "gregorian", locale=loc, month_names="maghrebi") == mag[m - 1]
            assert (
                month_name(m, "ar", "gregorian", locale=loc, month_names="both")
                == f"{lev[m - 1]}/{egy[m - 1]}"
            )
    # The family setting concerns Arabic Gregorian names only.
    assert month_name(1, "fr", "gregorian", month_names="both") == "janvier"
    assert month_name(9, "ar", "islamic-umalqura", month_names="levantine") == "رمضان"


# --- spot tests ----------------------------------------------------------------------------

SEED_DAY = dt.date(2022, 1, 11)


def test_seed_day():
    assert gregorian_to_hijri(SEED_DAY) == (1443, 6, 8)
    assert gregorian_to_hijri(SEED_DAY, "civil") == (1443, 6, 7)
    assert hijri_to_gregorian(1443, 6, 8) == SEED_DAY
    assert (
        format_date(SEED_DAY, "ar", "gregorian", "full", month_names="levantine")
        == "الثلاثاء، 11 كانون الثاني 2022"
    )
    assert (
        format_date(SEED_DAY, "ar", "gregorian", "full", locale="ar_SY") == "الثلاثاء، ١١ كانون الثاني ٢٠٢٢"
    )
    assert (
        format_date(SEED_DAY, "ar", "gregorian", "long", month_names="both") == "11 كانون الثاني/يناير 2022"
    )
    assert (
        format_date(SEED_DAY, "ar", "gregorian", "long", locale="ar_DZ", month_names="both", digits="arab")
        == "١١ كانون الثاني/يناير ٢٠٢٢"
    )
    assert format_date(SEED_DAY, "ar", "islamic-umalqura", "long") == "8 جمادى الآخرة 1443 هـ"
    assert format_date(SEED_DAY, "en", "islamic-umalqura", "full") == "Tuesday, Jumada II 8, 1443 AH"
    assert format_date(SEED_DAY, "fa", "persian", "long") == "۲۱ دی ۱۴۰۰"
    # ICU's full pattern here is CLDR's root fallback (y MMMM d, EEEE); Persian reads this:
    assert format_date(SEED_DAY, "fa", "persian", "full") == "سه\u200cشنبه ۲۱ دی ۱۴۰۰"


def test_rlm_kept_in_arabic_numeric_dates():
    assert format_date(SEED_DAY, "ar", "gregorian", "medium") == "11\u200f/01\u200f/2022"


def test_month_names_setting_ignored_outside_arabic_gregorian():
    assert format_date(SEED_DAY, "en", month_names="both") == "January 11, 2022"
    assert format_date(SEED_DAY, "ar", "islamic-umalqura", month_names="levantine") == format_date(
        SEED_DAY, "ar", "islamic-umalqura"
    )


def test_proleptic_gregorian_before_1582():
    # ICU's default Gregorian calendar would print the Julian date here.
    assert format_date(dt.date(1500, 3, 1), "en", "gregorian", "full") == "Thursday, March 1, 1500"
    assert format_date(dt.date(1, 1, 1), "en", "gregorian", "full") == "Monday, January 1, 1"


def test_invalid_arguments():
    for kwargs in ({"calendar": "julian"}, {"style": "tiny"}, {"digits": "deva"}, {"month_names": "iraqi"}):
        with pytest.raises(ValueError):
            format_date(SEED_DAY, "ar", **kwargs)
    with pytest.raises(ValueError):
        gregorian_to_hijri(SEED_DAY, "tabular")
    with pytest.raises(ValueError):
        month_name(13, "ar", "gregorian")


def test_apply_digits():
    assert apply_digits("11/01/2022", "arab") == "١١/٠١/٢٠٢٢"
    assert apply_digits("١١ و ۲۲ و 33", "latn") == "11 و 22 و 33"
    assert apply_digits("2022", "arabext") == "۲۰۲۲"
    assert apply_digits("2022", None) == apply_digits("2022", "default") == "2022"


# --- Solar Hijri ----------------------------------------------------------------------------


def test_persian_leap_esfand_1403():
    assert gregorian_to_persian(dt.date(2025, 3, 20)) == (1403, 12, 30)
    assert persian_to_gregorian(1403, 12, 30) == dt.date(2025, 3, 20)
    assert persian_to_gregorian(1404, 1, 1) == dt.date(2025, 3, 21)
    for y, m, d in ((1400, 12, 30), (1402, 7, 31), (1402, 13, 1), (1402, 1, 0)):
        with pytest.raises(ValueError):
            persian_to_gregorian(y, m, d)


def test_persian_round_trip_2015_2035():
    day, end = dt.date(2015, 1, 1), dt.date(2035, 12, 31)
    while day <= end:
        assert persian_to_gregorian(*gregorian_to_persian(day)) == day
        day += dt.timedelta(days=1)


# --- outside the Umm al-Qura table ---------------------------------------------------------


def test_table_edges_meet_the_civil_fallback():
    assert gregorian_to_hijri(dt.date(1882, 11, 11)) == (1299, 12, 29)
    assert gregorian_to_hijri(dt.date(1882, 11, 12)) == (1300, 1, 1)
    assert gregorian_to_hijri(dt.date(2174, 11, 25)) == (1600, 12, 30)
    assert gregorian_to_hijri(dt.date(2174, 11, 26)) == (1601, 1, 1)


def test_outside_the_table_umalqura_is_the_civil_calendar():
    # ICU continues with the tabular calendar itself; every 97th day of years 1..9999
    # outside 1882-11-12 .. 2174-11-25 (about 33,000 days).
    lo, hi = (d.toordinal() for d in UMALQURA_TABLE_RANGE[1])
    ordinals = [*range(1, lo, 97), lo - 1, hi + 1, *range(hi + 1, dt.date.max.toordinal(), 97)]
    bad = [
        o
        for o in ordinals
        if gregorian_to_hijri(dt.date.fromordinal(o)) != gregorian_to_hijri(dt.date.fromordinal(o), "civil")
    ]
    assert not bad and len(ordinals) > 30000


def test_threads_get_their_own_formatters():
    from concurrent.futures import ThreadPoolExecutor

    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(400)]
    want = [format_date(d, "ar", "islamic-umalqura", "full", locale="ar_EG") for d in days]

    def run(_):
        return [format_date(d, "ar", "islamic-umalqura", "full", locale="ar_EG") for d in days]

    with ThreadPoolExecutor(4) as pool:
        assert all(got == want for got in pool.map(run, range(8)))


@pytest.mark.parametrize("year", [1, 622, 623, 1500, 1850, 1881, 2175, 2300, 5000, 9999])
def test_fallback_years_are_tabular_and_round_trip(year):
    step = 1 if year in (1850, 2300) else 7
    first, last = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    for ordinal in [*range(first, last, step), last]:
        day = dt.date.fromordinal(ordinal)
        h = gregorian_to_hijri(day)
        assert h == gregorian_to_hijri(day, "civil")
        assert hijri_to_gregorian(*h) == day
        assert persian_to_gregorian(*gregorian_to_persian(day)) == day
        for cal in CALENDARS:
            assert format_date(day, "ar", cal, "full")


def test_out_of_range_is_a_value_error():
    with pytest.raises(ValueError):
        hijri_to_gregorian(9667, 1, 1)  # after 9999-12-31
    assert hijri_to_gregorian(9666, 4, 2) == dt.date(9999, 12, 31)
    assert hijri_to_gregorian(-640, 5, 18) == dt.date(1, 1, 1)  # proleptic (before 1 AH)


@settings(max_examples=400, deadline=None)
@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_property_round_trips(day):
    for variant in ("umalqura", "civil"):
        y, m, d = gregorian_to_hijri(day, variant)
        assert 1 <= m <= 12 and 1 <= d <= 30
        assert hijri_to_gregorian(y, m, d, variant) == day
    assert persian_to_gregorian(*gregorian_to_persian(day)) == day


# --- archives, defaults, filters, speed --------------------------------------------------


def test_archive_key_and_label():
    assert archive_key(SEED_DAY, "gregorian") == (2022, 1)
    assert archive_key(SEED_DAY, "islamic-umalqura") == (1443, 6)
    assert archive_key(dt.date(2022, 4, 2), "islamic-umalqura") == (1443, 9)
    assert archive_key(SEED_DAY, "persian") == (1400, 10)
    assert archive_label(1443, 9, "ar", "islamic-umalqura") == "رمضان 1443"
    assert archive_label(1443, 9, "ar", "islamic-umalqura", era=True) == "رمضان 1443 هـ"
    assert archive_label(2022, 1, "ar", "gregorian", month_names="levantine") == "كانون الثاني 2022"
    assert archive_label(2022, 1, "ar", "gregorian", locale="ar_SY") == "كانون الثاني ٢٠٢٢"
    assert archive_label(2022, 1, "ar", "gregorian", month_names="both") == "كانون الثاني/يناير 2022"
    assert archive_label(2022, 1, "en", "gregorian") == "January 2022"
    assert archive_label(1443, 3, "ur", "islamic-umalqura") == "ربیع الاول 1443"
    assert archive_label(1400, 10, "fa", "persian") == "۱۴۰۰ دی"  # CLDR's yMMMM for fa
    with pytest.raises(ValueError):
        archive_label(1443, 13, "ar", "islamic-umalqura")


def test_default_calendars_come_from_icu_not_from_a_list():
    assert default_calendars("ar_SY") == ("gregorian", "islamic-umalqura")
    assert default_calendars("fa") == ("persian", "gregorian")
    # Sorani in Iraq: Arabic script, but CLDR has no Sorani Hijri month names (ICU would print
    # Muharram), so no Hijri calendar by default; in Iran, the Solar Hijri calendar first.
    assert default_calendars("ckb") == ("gregorian",)
    assert default_calendars("ckb_IR") == ("persian", "gregorian")
    assert default_calendars("ps") == ("persian", "gregorian")  # ICU: Afghanistan's calendar
    assert default_calendars("en") == ("gregorian",)
    assert default_calendars("tr") == ("gregorian",)
    assert default_calendars("th") == ("gregorian",)  # ICU's Buddhist calendar is not one we show


def test_make_filters_every_filter():
    lang_cfg = SimpleNamespace(
        locale="ar_SY", digits="latn", arabic_months="both", calendars=("gregorian", "islamic-umalqura")
    )
    f = make_filters("ar", lang_cfg)
    assert set(f) == {"gregorian", "hijri", "solar_hijri", "date_in"}
    assert f["gregorian"](SEED_DAY) == "11 كانون الثاني/يناير 2022"
    assert f["gregorian"](SEED_DAY, "full") == "الثلاثاء، 11 كانون الثاني/يناير 2022"
    assert f["hijri"](SEED_DAY) == "8 جمادى الآخرة 1443 هـ"
    assert f["hijri"]("2022-01-11", style="medium") == "8 جمادى الآخرة 1443 هـ"
    assert f["solar_hijri"](dt.datetime(2022, 1, 11, 23, 0)) == "21 دي 1400 ه\u200d.ش"
    assert f["date_in"](SEED_DAY, "islamic-civil", "long") == "7 جمادى الآخرة 1443 هـ"
    assert f["gregorian"](None) == ""
    assert all(isinstance(v(SEED_DAY), str) for k, v in f.items() if k != "date_in")

    civil = make_filters("ur", {"calendars": ["gregorian", "islamic-civil"], "digits": "default"})
    assert civil["hijri"](SEED_DAY) == "7 جمادی الثانی، 1443 ہجری"
    assert civil["gregorian"](SEED_DAY) == "11 جنوری، 2022"

    fa = make_filters("fa", None)
    assert fa["solar_hijri"](dt.date(2025, 3, 20)) == "۳۰ اسفند ۱۴۰۳"
    assert fa["gregorian"](SEED_DAY) == "۱۱ ژانویهٔ ۲۰۲۲"
    assert make_filters("en", {})["hijri"](SEED_DAY) == "Jumada II 8, 1443 AH"
    assert make_filters("fr", {})["gregorian"](SEED_DAY, "full") == "mardi 11 janvier 2022"
    with pytest.raises(ValueError):
        make_filters("ar", {"arabic_months": "iraqi"})


def test_locale_ids_always_name_the_calendar():
    assert icu_locale_id("ar", "ar_SA", "gregorian", None) == "ar_SA@calendar=gregorian"
    assert icu_locale_id("fa", None, "persian", "latn") == "fa@calendar=persian;numbers=latn"
    assert icu_locale_id("ar", "ar-SY", "islamic-civil", None) == "ar_SY@calendar=islamic-civil"


def test_formatting_10000_dates_is_fast():
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=i) for i in range(10000)]
    format_date(days[0], "ar", "islamic-umalqura", "full", locale="ar_SY")  # warm the cache
    start = time.perf_counter()
    for day in days:
        format_date(day, "ar", "islamic-umalqura", "full", locale="ar_SY")
    elapsed = time.perf_counter() - start
    print(f"10,000 dates formatted in {elapsed:.3f} s")
    assert elapsed < 1.0


def test_the_dates_table_in_docs_is_made_by_the_sites_code_and_holds_icus_words():
    import icu

    from conftest import REPO, committed_path
    from generator.calendar_format import (
        _drop_era,
        _icu_pattern,
        foreign_era,
        formats_table,
        icu_locale_id,
        pattern_choice,
        to_udate,
    )
    from generator.config import load_config

    languages = load_config(committed_path()).languages
    assert (REPO / "docs/dates.md").read_text(encoding="utf-8") == formats_table(languages), (
        "run: python -m generator.calendar_format > docs/dates.md"
    )
    day = dt.date(2022, 1, 11)
    from generator.calendars import language_date

    for lang in languages:
        for calendar in lang.calendars:
            locale_id = icu_locale_id(
                lang.code, lang.locale, calendar, None if lang.digits == "default" else lang.digits
            )
            for style in ("full", "long"):
                chosen, reason = pattern_choice(locale_id, calendar, style)
                own = _icu_pattern(locale_id, style)
                where = (lang.code, calendar, style, chosen, own)
                if lang.arabic_months != "both" or calendar != "gregorian":
                    # ICU itself prints the chosen pattern: names, numbers and digits are ICU's
                    fmt = icu.SimpleDateFormat(chosen, icu.Locale(locale_id))
                    fmt.setTimeZone(icu.TimeZone.getGMT())
                    theirs = _ours(fmt.format(to_udate(day)), locale_id, calendar)
                    assert language_date(day, lang, calendar, style) == theirs, where
                if chosen == own:
                    assert not reason, where
                    continue
                # Not ICU's own pattern: a reason, the same fields (none invented), an era left
                # out only where CLDR has it in another script, a new order only in place of
                # CLDR's root fallback.
                assert reason, where
                assert _fields(chosen) - {"G"} == _fields(own) - {"G"}, where
                if "G" in _fields(own) - _fields(chosen):
                    assert foreign_era(locale_id, calendar), where
                if _drop_era(chosen) != _drop_era(own):
                    root = _icu_pattern(f"und@calendar={calendar}", style)
                    assert _drop_era(own) == _drop_era(root), where


@pytest.mark.parametrize(
    "locale_id, calendar, style, pattern, why",
    [
        # Sorani has a long pattern but no full one: the locale's own skeleton pattern
        ("ckb_IR@calendar=gregorian", "gregorian", "full", "EEEE، dی MMMMی y", "skeleton"),
        # CLDR has no Sorani era mark for the Solar Hijri calendar (ICU prints "AP")
        ("ckb_IR@calendar=persian", "persian", "long", "dی MMMMی y", "era mark"),
        # Pashto has a full Gregorian pattern but only the root's long one
        ("ps_AF@calendar=gregorian", "gregorian", "long", "د y د MMMM d", "without the weekday"),
        ("fa_IR@calendar=persian", "persian", "full", "EEEE d MMMM y", "Gregorian pattern"),
        ("fa_IR@calendar=persian", "persian", "long", "d MMMM y", ""),
        ("ar_SY@calendar=islamic-umalqura", "islamic-umalqura", "long", "d MMMM y G", ""),
    ],
)
def test_a_pattern_differs_from_icus_only_with_a_reason(locale_id, calendar, style, pattern, why):
    from generator.calendar_format import _icu_pattern, pattern_choice

    chosen, reason = pattern_choice(locale_id, calendar, style)
    assert chosen == pattern
    assert (why in reason) if why else (reason == "" and chosen == _icu_pattern(locale_id, style))


def test_a_calendar_whose_month_names_cldr_lacks_is_a_warning(tmp_path):
    from conftest import build, scratch_site

    languages = {"ckb": 'name = "کوردی"\nlocale = "ckb_IQ"\ncalendars = ["gregorian", "islamic-umalqura"]'}
    report, _ = build(scratch_site(tmp_path / "site", languages))
    notes = [n for n in report.notices if "month names" in n]
    assert len(notes) == 1 and notes[0].startswith("site.toml: [languages.ckb] calendars:"), notes
    assert "islamic-umalqura" in notes[0] and "Muharram" in notes[0]
    assert report.exit_code == 0
