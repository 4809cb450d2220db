"""Properties: arbitrary input never makes the readers raise anything but SahifaError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.dateparse import find_date, parse_date_expression
from generator.decode import decode_bytes
from generator.errors import SahifaError
from generator.seeds import parse_seed

ARABIC_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءأإآةىیکۀ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789 \n()-/:،ـ۔ءمهـ\u200c\u202e")
)
PIECES = st.sampled_from(
    [
        "( أردو بوینت نتورك ۔ / سبوتنيك - ",
        "11 كانون الثاني 2022ء)",
        "(تستمر)",
        "ذات صلة:",
        "31 شباط 2022",
        "الموافق",
        "۳۰ اسفند ۱۴۰۰",
        "PARIS (Reuters) - ",
        "<p>",
        "</html>",
        "<!DOCTYPE html>",
        "***",
        "\n",
        "\n\n",
        "غرة شوال 1443 هـ",
        "Categories: x",
        "1443/6/8 هـ",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(PIECES, ARABIC_ALPHABET), max_size=60).map("".join),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXT)
def test_parse_seed_only_raises_sahifa_error(text):
    try:
        record = parse_seed(text, "seeds/x.txt")
    except SahifaError:
        return
    assert record.title
    assert "<script" not in record.body_html.lower()


@FAST
@given(st.binary(max_size=400))
def test_decode_only_raises_sahifa_error(data):
    try:
        text, name, warnings = decode_bytes(data, "seeds/x.txt")
    except SahifaError:
        return
    assert isinstance(text, str) and name and isinstance(warnings, tuple)


@FAST
@given(TEXT, st.sampled_from([None, "ar", "fa", "ur", "en", "fr", "xx"]))
def test_date_parser_never_raises(text, lang):
    match = find_date(text, lang)
    if match is not None:
        assert 0 <= match.span[0] <= match.span[1] <= len(text)
    parse_date_expression(text)
