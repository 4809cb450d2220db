"""Language behaviour comes from the language's configuration and from ICU/CLDR, never from a
list of codes in Python or CSS."""

from __future__ import annotations

import re

import pytest

from conftest import REPO, build, scratch_site
from generator.languages import direction, script


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("ar", "rtl"),
        ("arz", "rtl"),
        ("syr", "rtl"),
        ("dv", "rtl"),
        ("ckb", "rtl"),
        ("az-Arab", "rtl"),
        ("ku", "ltr"),
        ("tr", "ltr"),
        ("en", "ltr"),
        ("not a tag", "ltr"),
    ],
)
def test_direction_comes_from_the_likely_script(tag, expected):
    assert direction(tag) == expected


def test_script():
    assert script("fa") == "Arab" and script("syr") == "Syrc" and script("sd") == "Arab"


def test_a_language_code_the_code_never_heard_of_gets_arabic_month_names_by_its_setting(tmp_path):
    """``arz`` (Egyptian Arabic) with ``arabic_months = "egyptian"`` prints يناير, as ``ar``
    would: the setting belongs to the language, whatever its code."""
    site = scratch_site(
        tmp_path / "site",
        {"arz": 'name = "مصري"\nlocale = "ar_SY"\narabic_months = "egyptian"\ndigits = "latn"'},
        {"content/arz/story.md": "---\ntitle: خبر من القاهرة\ndate: 2022-01-11\n---\n\nنص الخبر.\n"},
    )
    report, out = build(site)
    assert report.problems == []
    page = next((out / "arz/articles").glob("*/index.html")).read_text(encoding="utf-8")
    assert '<html lang="arz" dir="rtl" ' in page
    assert "11 يناير 2022" in page and "كانون" not in page
    assert "جمادى الآخرة 1443" in page  # the default calendars for Arabic script, from ICU


CODE_TEST = re.compile(
    r"""(?:==|!=|\bin)\s*\(?["'](?:ar|fa|ur|en|fr|ckb|ps|tr)["']|:lang\((?:ar|fa|ur|en|fr)\)"""
)


def _offenders(paths) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CODE_TEST.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def test_no_css_or_python_file_decides_by_a_language_code():
    """Outside configuration, data files and tests (and the module below), nothing
    decides by a language's code: fonts, line heights, directions, calendars, month names
    come from the language's settings, data files and ICU."""
    paths = sorted((REPO / "generator").glob("*.py")) + sorted((REPO / "static/css").glob("*.css"))
    assert not _offenders(paths)


SORANI = (
    "هەزاران کەس ئێوارەی چوارشەممە بەرەو چیاکانی دەوروبەری شار ڕۆیشتن و ئاگری نەورۆزیان "
    "داگیرساند. خەڵک لە دەوری ئاگرەکان هەڵپەڕین و گۆرانییان گوت، هەروەها بۆ ساڵی نوێ ئامادە بوون."
)
PASHTO = (
    "د ښار بڼوالو د انارو راټولول پیل کړي دي. بڼوال وايي چې سږکال اوبه لږې وې، خو حاصل یې د تېر "
    "کال په پرتله ښه دی او سوداګر هیله لري چې انار ګاونډیو هېوادونو ته صادر کړي."
)
PERSIAN = "در روزهای پایانی سال، بازار بزرگ تهران پر از خریداران بود و فروشندگان از گرانی گفتند."


def test_the_detector_knows_sorani_and_pashto_from_persian():
    from generator.langdetect import detect_language

    assert detect_language(SORANI) == "ckb"
    assert detect_language(PASHTO) == "ps"
    assert detect_language(PERSIAN) == "fa"
    # a Persian text quoting one Sorani name stays Persian
    assert detect_language(PERSIAN + " (ڕووداو) " + PERSIAN) == "fa"


def test_a_detected_language_maps_onto_the_sites_language_by_locale(tmp_path):
    """A seed detected as Arabic lands in a site whose Arabic is ``arz`` (locale ``ar_EG``),
    and a Sorani seed in the site's ``ckb``: by locale, not by a fixed list of codes."""
    from generator.langdetect import site_language

    languages = (("arz", "ar_EG"), ("ku-arab", "ckb_IQ"), ("fa", "fa_IR"))
    assert site_language("ar", languages) == "arz"
    assert site_language("ckb", languages) == "ku-arab"
    assert site_language("fa", languages) == "fa"
    assert site_language("ur", languages) == "ur"  # not configured: the build says so

    arabic = (
        "وصول الوفد إلى القاهرة\n\nالقاهرة 11 يناير 2022 - قال المتحدث في مؤتمر صحفي إن الوفد وصل إلى "
        "العاصمة بعد رحلة طويلة، وإن المحادثات ستبدأ غداً في مقر الوزارة.\n"
    )
    site = scratch_site(
        tmp_path / "site",
        {"arz": 'locale = "ar_EG"', "sorani": 'locale = "ckb_IQ"'},
        {"seeds/arabic.txt": arabic, "seeds/sorani.txt": "ئاگری نەورۆز داگیرسا\n\n" + SORANI + "\n"},
    )
    report, _ = build(site)
    assert report.problems == []
    assert {lang: len(arts) for lang, arts in report.site.articles.items()} == {"arz": 1, "sorani": 1}


HUMAN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


def _visible(page: str, lang: str) -> list[str]:
    """What a reader of ``lang`` sees on a page: its text and human-readable attributes,
    leaving out elements marked as another language (the language switcher's labels) and
    machine parts (scripts, styles, the head's metadata)."""
    from lxml import html

    doc = html.fromstring(page)
    for el in doc.xpath("//script | //style | //head/*[not(self::title)]"):
        el.drop_tree()
    for el in doc.xpath("//body//*[@lang]"):
        if el.get("lang") != lang:
            el.drop_tree()
    texts = [doc.text_content()]
    texts += [
        el.get(a) for el in doc.iter() if isinstance(el.tag, str) for a in HUMAN_ATTRIBUTES if el.get(a)
    ]
    return texts


@pytest.mark.parametrize("lang", ["ckb", "ps"])
def test_the_demos_new_languages_come_by_configuration_alone(demo_site, lang):
    """Sorani and Pashto were added to the demo with a ``[languages.*]`` table, a catalogue
    and articles, no code: their pages carry CLDR month names in their own script for every
    calendar they show, their own digits and their font, and no English word or Latin digit."""
    import datetime as dt

    from conftest import committed_path
    from generator.calendar_format import month_name
    from generator.calendars import gregorian_to_calendar
    from generator.config import load_config
    from generator.languages import default_font

    report, out = demo_site
    language = next(x for x in load_config(committed_path()).languages if x.code == lang)
    assert language.direction == "rtl"
    assert not [n for n in report.notices if f"({lang})" in n or f"languages.{lang}]" in n], report.notices
    articles = report.site.articles[lang]
    assert len(articles) >= 2
    digits = "٠١٢٣٤٥٦٧٨٩" if lang == "ckb" else "۰۱۲۳۴۵۶۷۸۹"  # CLDR: arab for ckb, arabext for ps
    for article in articles:
        page = (out / article.path).read_text(encoding="utf-8")
        day = article.date.date() if isinstance(article.date, dt.datetime) else article.date
        for calendar in language.calendars:
            _, month, _ = gregorian_to_calendar(day, calendar)
            name = month_name(month, lang, calendar, locale=language.locale)
            assert name in page, (article.path, calendar, name)
        assert f'data-font="{default_font(lang, language.locale)}"' in page
        assert any(d in "".join(_visible(page, lang)) for d in digits)
    for path in sorted(out.joinpath(lang).rglob("*.html")):
        shown = " ".join(_visible(path.read_text(encoding="utf-8"), lang))
        assert not re.findall(r"[A-Za-z]{2,}|[0-9]", shown), (path, re.findall(r"[A-Za-z]{2,}|[0-9]", shown))


def test_search_clitics_are_a_language_setting(tmp_path):
    """Arabic proclitics (و ف ب ل ك ال) are read off words for Arabic and its varieties by
    default (``data/search.toml``), for any language that asks (``search_clitics``), and for
    no other: Persian's و and ب are separate words."""
    import json

    site = tmp_path / "site"
    tables = {
        "arz": 'locale = "ar_EG"',
        "fa": 'locale = "fa_IR"',
        "ar": 'locale = "ar_SY"\nsearch_clitics = "none"',
        "xx": 'locale = "ar_SY"\nsearch_clitics = "arabic"',
    }
    story = "---\ntitle: وصل الوفد بكازاخستان\ndate: 2022-01-11\n---\n\nنص.\n"
    scratch_site(site, tables, {f"content/{code}/story.md": story for code in tables})
    report, out = build(site)
    assert report.problems == []
    meta = {code: json.loads((out / code / "search/index/meta.json").read_text()) for code in tables}
    shard = {code: json.loads((out / code / "search/index/t-all.json").read_text()) for code in tables}
    assert {code: meta[code]["clitics"] for code in tables} == {
        "arz": True,
        "fa": False,
        "ar": False,
        "xx": True,
    }
    assert "كازاخستان" in shard["arz"] and "كازاخستان" not in shard["fa"]


def test_reading_speed_is_a_language_setting(tmp_path):
    """Words per minute come from the language (``reading_speed``), by default from its
    script (``data/reading.toml``: Arabic script 140, others 220), never from its code."""
    from generator.languages import default_reading_speed

    assert default_reading_speed("ckb") == default_reading_speed("ar") == 140
    assert default_reading_speed("tr") == 220
    story = "---\ntitle: A long story\ndate: 2022-01-11\n---\n\n" + " ".join(["word"] * 300) + "\n"
    site = scratch_site(
        tmp_path / "site",
        {"en": 'locale = "en_GB"', "xx": 'locale = "en_GB"\nreading_speed = 100'},
        {"content/en/long.md": story, "content/xx/long.md": story},
    )
    _, out = build(site)
    pages = {code: next((out / code / "articles").glob("*/index.html")).read_text() for code in ("en", "xx")}
    assert "2 min read" in pages["en"] and "3 min read" in pages["xx"]
