"""The seed importer: golden check on the project's seed, formats, sidecars, bad inputs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from conftest import committed_path, shared_path
from generator.errors import SahifaError
from generator.seeds import parse_seed, read_seed
from generator.tagger import tag_key

SEED = committed_path("seeds", "000_92923d39de616abf.txt")
TITLE = "شويغو: تنتهي مهمة قوات الأمن الجماعي في كازاخستان بعد استقرار الوضع تمامًا"


@pytest.fixture(scope="module")
def seed():
    return read_seed(SEED, SEED.parents[1])


def _paragraphs_of_source() -> list[str]:
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").split("\n") if line.strip()]
    # After the title printed twice: ten paragraphs with the wire marker among them, then the
    # comment widget's label.
    body = [line for line in lines[2:] if line not in ("(تستمر)", "أفكارك وتعليقاتك")]
    first = body[0]
    body[0] = first[first.index(")") + 1 :].strip()  # the lead without its dateline
    return body


def test_seed_title_once(seed):
    assert seed.title == TITLE
    assert TITLE not in seed.paragraphs


def test_seed_date_and_sources(seed):
    assert seed.date == dt.date(2022, 1, 11)
    assert "أردو بوینت نتورك" in seed.sources
    assert "سبوتنيك" in seed.sources


def test_seed_lead_and_paragraphs(seed):
    assert seed.summary.startswith("أعلن وزير الدفاع الروسي")
    assert seed.summary == seed.paragraphs[0]
    assert list(seed.paragraphs) == _paragraphs_of_source()
    assert seed.paragraph_count == 10
    body = " ".join(seed.paragraphs)
    assert "(تستمر)" not in body and "أفكارك وتعليقاتك" not in body
    assert "سبوتنيك" not in body


def test_seed_language_and_direction(seed):
    assert seed.lang == "ar"
    assert seed.extra["dir"] == "rtl"
    assert seed.format == "wire"


def test_seed_tags(seed):
    assert "كازاخستان" in seed.tags
    assert "منظمة معاهدة الأمن الجماعي" in seed.tags
    tokayev = [
        t
        for t in seed.tags
        if tag_key(t) in (tag_key("توكاييف"), tag_key("قاسم جومارت توكاييف")) or "توكا" in t
    ]
    assert len(tokayev) == 1
    assert len({tag_key(t) for t in seed.tags}) == len(seed.tags)


def test_tag_key_merges_spelling_variants():
    assert tag_key("توكاييف") == tag_key("توكايف")
    assert tag_key("كازاخستان") == tag_key("كازاخـستان")
    assert tag_key("المغرب") != tag_key("مغرب")


def test_body_html_is_escaped_text():
    text = "عنوان\nعنوان\n<script>alert(1)</script> &lt;b&gt; {{ 7*7 }}\n"
    record = parse_seed(text, "seeds/x.txt")
    assert "<script>" not in record.body_html
    assert "&lt;script&gt;" in record.body_html
    assert "&amp;lt;b&amp;gt;" in record.body_html
    assert "{{ 7*7 }}" in record.body_html
    assert record.body_html.startswith('<p dir="auto">')


def test_no_headline_title_from_lead_with_warning():
    lead = "هذه فقرة طويلة جدا تتحدث عن الأحداث. " * 12
    record = parse_seed(lead + "\n" + lead, "seeds/x.txt")
    assert record.title and len(record.title) <= 95
    assert any("headline" in w for w in record.warnings)


@pytest.mark.parametrize("text", ["", "   \n\t\u00a0\u3000\n", "\u200f\u202e\u2066\u2069\n"])
def test_empty_text_is_an_error(text):
    with pytest.raises(SahifaError):
        parse_seed(text, "seeds/empty.txt")


def test_english_wire_dateline():
    text = (
        "Talks resume in Paris\n\nPARIS (Reuters) - Negotiators met again on Monday, officials "
        "said, as the talks entered their third week.\n\nThe next round is due in March."
    )
    record = parse_seed(text, "seeds/en.txt")
    assert record.title == "Talks resume in Paris"
    assert record.city == "PARIS" and "Reuters" in record.sources
    assert record.summary.startswith("Negotiators met")
    assert record.lang == "en" and record.date is None


def test_sidecar_overrides(tmp_path):
    seed = tmp_path / "seeds" / "a.txt"
    seed.parent.mkdir()
    seed.write_bytes(SEED.read_bytes())
    seed.with_suffix(".yml").write_text(
        "title: عنوان آخر\ntags: [سياسة, آسيا]\nslug: csto-exit\ndraft: true\ndate: 2022-01-12\n",
        encoding="utf-8",
    )
    record = read_seed(seed, tmp_path)
    assert record.title == "عنوان آخر"
    assert record.tags == ("سياسة", "آسيا")
    assert record.slug == "csto-exit" and record.draft is True
    assert record.date == dt.date(2022, 1, 12)
    assert record.path == "seeds/a.txt"


def test_sidecar_must_be_a_mapping(tmp_path):
    seed = tmp_path / "a.txt"
    seed.write_bytes(SEED.read_bytes())
    seed.with_suffix(".yml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(SahifaError):
        read_seed(seed, tmp_path)


# --- the shared bad-input seeds -------------------------------------------------------------


def _manifest():
    base = shared_path("badinput")
    data = json.loads((base / "MANIFEST.json").read_text(encoding="utf-8"))
    return base, {e["path"]: e for e in data["files"] if e["kind"] == "seed"}


ERRORS = {"seeds/s01-empty.txt", "seeds/s02-whitespace-only.txt", "seeds/s03-binary-png-as-txt.txt"}


@pytest.mark.corpus
def test_badinput_seeds():
    base, entries = _manifest()
    for rel, entry in entries.items():
        path = base / rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], rel
        if rel in ERRORS:
            with pytest.raises(SahifaError) as info:
                read_seed(path, base)
            assert info.value.reason, rel
            continue
        record = read_seed(path, base)
        visible = " ".join([record.title, *record.paragraphs])
        for text in entry.get("expect_text") or []:
            assert text in visible, (rel, text)
        for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\r":
            assert ch not in record.title, (rel, hex(ord(ch)))
        assert record.date != dt.date(2022, 3, 3), rel


@pytest.mark.corpus
def test_badinput_specific_outcomes():
    base, _ = _manifest()
    seeds = base / "seeds"
    assert read_seed(seeds / "s05-windows-1256.txt", base).extra["encoding"] == "cp1256"
    assert read_seed(seeds / "s06-iso-8859-6.txt", base).extra["encoding"] == "iso-8859-6"
    shubat = read_seed(seeds / "s13-dateline-31-shubat.txt", base)
    assert shubat.date is None and any("no such day" in w for w in shubat.warnings)
    not_repeated = read_seed(seeds / "s24-title-not-repeated.txt", base)
    assert not_repeated.date == dt.date(2022, 1, 11) and not_repeated.paragraph_count == 2
    bidi = read_seed(seeds / "s18-title-only-bidi-marks.txt", base)
    assert bidi.title.strip() and any("headline" in w for w in bidi.warnings)
    bad_utf8 = read_seed(seeds / "s04-invalid-utf8-bytes.txt", base)
    assert bad_utf8.extra["encoding"] == "utf-8" and any("byte offset" in w for w in bad_utf8.warnings)
    control = read_seed(base / "controls" / "seeds" / "c01-good-seed.txt", base)
    assert control.date == dt.date(2022, 1, 11)
    assert not any("تستمر" in p or "محفوظة" in p or "ذات صلة" in p for p in control.paragraphs)


@pytest.mark.corpus
def test_five_megabyte_line_is_fast():
    import time

    base, _ = _manifest()
    start = time.perf_counter()
    record = read_seed(base / "seeds" / "s21-5mb-single-line.txt", base)
    assert time.perf_counter() - start < 2.0
    assert record.title == "تقرير مطول عن الاقتصاد العالمي"
