"""Dateline date parsing: every case of shared/dates/datelines.json and of the corpus key."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import SHARED, shared_path
from generator.dateparse import find_date, parse_date_expression


def _load(path, key):
    try:
        return json.loads(path.read_text(encoding="utf-8"))[key]
    except (OSError, ValueError, KeyError):
        return None


DATELINES = _load(SHARED / "dates" / "datelines.json", "cases")
CORPUS = _load(SHARED / "corpus" / "answers.json", "datelines")


def _check(text, lang, expected):
    match = find_date(text, lang)
    got = match.date.isoformat() if match and match.date else None
    assert got == expected, (text, match)
    if expected is None and match is not None:
        assert match.warnings, "an undated match must say why"
    if match is not None:
        start, end = match.span
        assert 0 <= start < end <= len(text)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "case", DATELINES or [None], ids=[c["id"] for c in DATELINES] if DATELINES else ["missing"]
)
def test_datelines_json(case):
    if case is None:
        shared_path("dates", "datelines.json")
    _check(case["text"], case["lang"], case["expected"])


@pytest.mark.corpus
@pytest.mark.parametrize(
    "case", CORPUS or [None], ids=[f"corpus-{i:02d}" for i in range(len(CORPUS))] if CORPUS else ["missing"]
)
def test_corpus_datelines(case):
    if case is None:
        shared_path("corpus", "answers.json")
    _check(case["string"], case["lang"], case["gregorian"])


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("( أردو بوینت نتورك ۔ / سبوتنيك - 11 كانون الثاني 2022ء)", "ar", "2022-01-11"),
        ("الخميس 3 تموز 2014", None, "2014-07-03"),
        ("25 décembre 2019", "fr", "2019-12-25"),
        ("1er août 2012. -", "fr", "2012-08-01"),
        ("Saturday, April 26 2008", "en", "2008-04-26"),
        ("12/25/2022", "en", "2022-12-25"),
        ("١٥ شعبان ١٤٤٤ هـ", "ar", "2023-03-07"),
        ("۱ حمل ۱۴۰۱", "fa", "2022-03-21"),
        ("5 جولائی 1977ء", "ur", "1977-07-05"),
        ("في الثاني من كانون الثاني", "ar", None),
        ("version 12.10 of Ubuntu", "en", None),
        ("30 فبراير 2021", "ar", None),
    ],
)
def test_own_cases(text, lang, expected):
    _check(text, lang, expected)


def test_no_date_at_all_is_none():
    assert find_date("لا يوجد تاريخ هنا") is None
    assert find_date("") is None


def test_span_covers_weekday_and_date():
    text = "دمشق - الثلاثاء 11 كانون الثاني 2022 - قال"
    match = find_date(text)
    assert text[match.span[0] : match.span[1]] == "الثلاثاء 11 كانون الثاني 2022"


def test_parse_date_expression():
    assert parse_date_expression("11 يناير 2022") == dt.date(2022, 1, 11)
    assert parse_date_expression("31 شباط 2022") is None
    assert parse_date_expression(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Berlin, 11. Januar 2022 (dpa) – Die Regierung", dt.date(2022, 1, 11)),
        ("Madrid, 11 de enero de 2022", dt.date(2022, 1, 11)),
        ("Roma, 11 gennaio 2022", dt.date(2022, 1, 11)),
        ("Ankara, 11 Ocak 2022", dt.date(2022, 1, 11)),
        ("Москва, 11 января 2022 года", dt.date(2022, 1, 11)),
        ("Warszawa, 11 stycznia 2022", dt.date(2022, 1, 11)),
        ("Amsterdam, 11 januari 2022", dt.date(2022, 1, 11)),
        ("Praha 11. listopadu 2022", dt.date(2022, 11, 11)),  # Czech genitive: unambiguous
        ("هەولێر 13ـی تشرینی یەکەمی 2025", dt.date(2025, 10, 13)),  # Sorani, ezafe on day and month
    ],
)
def test_gregorian_dates_in_any_language_icu_knows(text, expected):
    assert find_date(text).date == expected


def test_a_month_name_that_means_different_months_in_two_languages_is_not_read():
    from generator.dateparse import world_month_table

    table = world_month_table()
    assert "listopad" not in table  # Czech November, Croatian October
    assert table["januar"] == 1 and table["stycznia"] == 1
    assert find_date("11 listopad 2022") is None
    assert find_date("في 11 مليون 2022") is None  # shape alone is not a date


@pytest.mark.parametrize(
    "text, expected",
    [
        # a right-to-left copy scrambles the order of a short date line: day, time, year, month
        (":تحديث 04 14:02 2022 أوت", dt.date(2022, 8, 4)),
        # a wire trailer: day, hour and minute run together, month, two-digit year
        ("KUNA 041506 Jul 09NNNN", dt.date(2009, 7, 4)),
        # year first, no words: Solar Hijri up to 1420 (1921-2041), Hijri above it
        ("1400/10/21", dt.date(2022, 1, 11)),
        ("1443/06/08", dt.date(2022, 1, 11)),
        # a time glued to the day is not a range of days
        ("نُشر: 10:20-8 نوفمبر 2023 م ـ 24 رَبيع الآخِر 1445 هـ", dt.date(2023, 11, 8)),
        ("شماره ۳۶۹۶ - May 14, 2005", dt.date(2005, 5, 14)),
        # Pashto and Sorani Solar Hijri month names; the Kurdish calendar's year (+1321)
        ("کابل(پژواک، ۱۲ لیندۍ ۱۴۰۲):", dt.date(2023, 12, 3)),
        ("09:47 - 14 خەرمانان 2723", dt.date(2023, 9, 5)),
    ],
)
def test_dates_in_the_shapes_pages_and_wires_print_them(text, expected):
    assert find_date(text).date == expected


def test_a_scrambled_line_needs_exactly_one_of_each_part():
    assert find_date("2022 مارس 04 05") is None  # two day-like numbers: not a date
    assert find_date("الجولة 12 من دوري 2022 أوت وسبتمبر") is None  # two month names


def test_a_range_of_days_is_still_no_date():
    assert find_date("12-14 مارس 2023").date is None
