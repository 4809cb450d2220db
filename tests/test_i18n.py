"""Interface text, numbers and cross-language links.

- The gettext catalogues are complete, their plural rules right, and ``locale/messages.pot``
  is what ``pybabel extract`` makes of the templates today.
- No English interface string shows on an Arabic, Persian, Urdu or French page.
- Numbers use each language's digits; tags naming one thing in several languages link to
  each other; the language switcher and hreflang alternates go to the same page in the
  other language when it exists, and every internal link of a build resolves, with the
  default language under its prefix or at the root.
"""

from __future__ import annotations

import gettext
import re
import urllib.parse
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from conftest import REPO, build, copy_site
from generator.config import parse_config
from generator.entities import entity_index, link_entities
from generator.i18n import _format_decimal, format_number, numbering_system, to_digits, translations_for
from generator.model import Tag

TRANSLATED = ("ar", "fa", "ur", "ckb", "ps", "fr")
NPLURALS = {"ar": 6, "fa": 2, "ur": 2, "ckb": 2, "ps": 2, "fr": 3}
"""Arabic: zero, one, two, few, many, other; Persian and Urdu: one, other; French (CLDR 4x):
one, many (millions), other."""
LOCALE_DIR = REPO / "locale"


def _catalog(path: Path, locale: str | None = None):
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def _ids(catalog) -> set:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


# ---- catalogues --------------------------------------------------------------------------
@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogue_translates_every_msgid(lang):
    template = _catalog(LOCALE_DIR / "messages.pot")
    catalog = _catalog(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", lang)
    missing = _ids(template) - _ids(catalog)
    assert not missing, f"{lang}: not in the catalogue (run pybabel update): {sorted(map(str, missing))}"
    assert not catalog.fuzzy, f"{lang}: the header is marked fuzzy"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{lang}: fuzzy translation of {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{lang}: empty translation of {message.id!r}"
    obsolete = [m.id for m in catalog.obsolete.values()]
    assert not obsolete, f"{lang}: obsolete entries left in the catalogue: {obsolete}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, f"{lang}: placeholder errors: {problems}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms(lang):
    catalog = _catalog(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", lang)
    assert catalog.num_plurals == NPLURALS[lang]
    plurals = [m for m in catalog if m.id and m.pluralizable]
    assert plurals, "the templates use ngettext; the catalogue must have plural entries"
    for message in plurals:
        assert len(message.string) == NPLURALS[lang], f"{lang}: {message.id!r} needs {NPLURALS[lang]} forms"
    rule = gettext.c2py(catalog.plural_expr)
    assert all(0 <= rule(n) < NPLURALS[lang] for n in range(0, 2_000_001, 997))


def test_arabic_plural_rule_picks_the_six_forms():
    catalog = _catalog(LOCALE_DIR / "ar" / "LC_MESSAGES" / "messages.po", "ar")
    rule = gettext.c2py(catalog.plural_expr)
    assert [rule(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111, 1000)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        5,
        3,
        4,
        5,
    ]
    tr = translations_for(LOCALE_DIR, "ar")
    forms = {n: tr.ngettext("%(num)s article", "%(num)s articles", n) for n in (0, 1, 2, 5, 11, 100)}
    assert len(set(forms.values())) == 6, forms


def test_committed_pot_matches_extraction(tmp_path):
    """``pybabel extract -F babel.cfg`` on today's templates gives the committed msgids."""
    out = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(REPO / "babel.cfg"),
            "-o",
            str(out),
            "--no-location",
            str(REPO),
        ]
    )
    extracted, committed = _ids(_catalog(out)), _ids(_catalog(LOCALE_DIR / "messages.pot"))
    assert extracted == committed, (
        "locale/messages.pot is stale; run: pybabel extract -F babel.cfg -o locale/messages.pot . "
        f"&& pybabel update -i locale/messages.pot -d locale\n new: {sorted(map(str, extracted - committed))}"
        f"\n gone: {sorted(map(str, committed - extracted))}"
    )


# ---- no English interface text on other languages' pages --------------------------------
def _ui_patterns() -> list[tuple[str, re.Pattern]]:
    patterns = []
    for message in _catalog(LOCALE_DIR / "messages.pot"):
        for text in (message.id,) if isinstance(message.id, str) else message.id:
            if not text or len(text) <= 3:
                continue
            parts = re.split(r"%\(\w+\)s", text)
            body = r"\S+".join(re.escape(p) for p in parts)
            patterns.append((text, re.compile(rf"(?<!\w){body}(?!\w)")))
    return patterns


def _interface_text(page: Path) -> tuple[str, str]:
    """The page's language and its interface text: visible text and accessible labels, minus
    user text (``dir=auto``, ``<bdi>``, article bodies) and anything marked as another language."""
    root = lxml.html.fromstring(page.read_bytes())
    lang = root.get("lang")
    chunks: list[str] = []

    def walk(el):
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "template", "bdi"):
            return
        if (
            el.get("dir") == "auto"
            or (el.get("lang") and el.get("lang") != lang)
            or "body" in (el.get("class") or "").split()
        ):
            return
        chunks.extend(el.get(attr) for attr in ("aria-label", "title", "alt", "placeholder") if el.get(attr))
        chunks.append(el.text or "")
        for child in el:
            walk(child)
            chunks.append(child.tail or "")

    body = root.find("body")
    walk(body if body is not None else root)
    return lang, " ".join(" ".join(chunks).split())


def _own_words(lang: str) -> str:
    """Every translation of ``lang`` (placeholders filled), to spare cognates: French shows
    ``2 articles`` because that is French, not because the English leaked."""
    strings = []
    for message in _catalog(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", lang):
        if message.id:
            strings.extend((message.string,) if isinstance(message.string, str) else message.string)
    return "\n".join(re.sub(r"%\(\w+\)s", "1", s) for s in strings)


def test_no_english_interface_text_leaks(demo_site):
    _, out = demo_site
    patterns = _ui_patterns()
    spared = {
        lang: {msgid for msgid, pattern in patterns if pattern.search(_own_words(lang))}
        for lang in TRANSLATED
    }
    leaks, checked = [], 0
    for page in sorted(out.rglob("*.html")):
        lang, text = _interface_text(page)
        if lang not in TRANSLATED:
            continue
        checked += 1
        for msgid, pattern in patterns:
            if msgid in spared[lang]:
                continue
            if pattern.search(text):
                leaks.append(f"{page.relative_to(out)}: {msgid!r}")
    assert checked > 20
    assert not leaks, "English interface text on translated pages:\n" + "\n".join(leaks[:40])


def test_leak_check_sees_english_interface_text(demo_site):
    """The check above is not vacuous: English pages do show the msgids it looks for."""
    _, out = demo_site
    _, text = _interface_text(out / "en" / "index.html")
    found = [msgid for msgid, pattern in _ui_patterns() if pattern.search(text)]
    assert {"Latest news", "Tags", "Archive", "Skip to content"} <= set(found)


# ---- numbers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "locale, digits, expected",
    [
        ("ar_SY", "latn", "1,234,567"),  # the Arabic demo chooses Western digits
        ("ar_EG", "default", "١٬٢٣٤٬٥٦٧"),  # CLDR default for Egypt: Arabic-Indic
        ("fa_IR", "default", "۱٬۲۳۴٬۵۶۷"),  # Extended Arabic-Indic with Persian separators
        ("ur_PK", "default", "1,234,567"),  # CLDR default for ur_PK is latn
        ("ur_PK", "arabext", "۱٬۲۳۴٬۵۶۷"),
        ("fr_FR", "default", "1\u202f234\u202f567"),
    ],
)
def test_numbers_in_the_locale_digits(locale, digits, expected):
    assert format_number(1234567, locale, numbering_system(locale, digits)) == expected


def test_demo_pages_use_each_language_digits(demo_site):
    _, out = demo_site
    counts = {
        lang: " ".join(
            lxml.html.fromstring((out / lang / "tags" / "index.html").read_bytes()).xpath(
                "//span[@class='count']//text()"
            )
        )
        for lang in ("ar", "fa", "ur")
    }
    assert re.search("[۰-۹]", counts["fa"]) and not re.search("[0-9٠-٩]", counts["fa"])
    assert not re.search("[٠-٩۰-۹]", counts["ur"])
    assert not re.search("[٠-٩۰-۹]", counts["ar"])  # site.toml: digits = "latn"


# ---- cross-language tags -------------------------------------------------------------------
def _config(tag_translations=None):
    languages = {
        code: {"locale": loc}
        for code, loc in (("ar", "ar_SY"), ("fa", "fa_IR"), ("ur", "ur_PK"), ("en", "en_GB"), ("fr", "fr_FR"))
    }
    return parse_config({"languages": languages, "tag_translations": tag_translations or {}}, Path("."))


def _tags(names: dict[str, list[str]]) -> dict[str, tuple[Tag, ...]]:
    return {
        lang: tuple(Tag(lang=lang, key=n, name=n, slug=n, articles=()) for n in items)
        for lang, items in names.items()
    }


def _entities(config, names):
    return {
        (t.lang, t.name): t.entity for items in link_entities(_tags(names), config).values() for t in items
    }


def test_country_tags_are_one_entity_through_cldr():
    names = {
        "ar": ["كازاخستان", "مصر", "رمضان"],
        "fa": ["قزاقستان", "ایران"],
        "ur": ["قزاخستان", "پاکستان"],
        "en": ["Kazakhstan", "Egypt", "Press freedom"],
        "fr": ["Kazakhstan", "Égypte"],
    }
    got = _entities(_config(), names)
    assert {
        got[k]
        for k in [
            ("ar", "كازاخستان"),
            ("fa", "قزاقستان"),
            ("ur", "قزاخستان"),
            ("en", "Kazakhstan"),
            ("fr", "Kazakhstan"),
        ]
    } == {"territory:KZ"}
    assert got[("ar", "مصر")] == got[("en", "Egypt")] == got[("fr", "Égypte")] == "territory:EG"
    assert got[("ar", "رمضان")] is None and got[("en", "Press freedom")] is None


def test_spelling_variants_and_the_site_table():
    table = {
        "KZ": {"ur": "قازقستان"},
        "csto": {"en": "CSTO", "fr": "OTSC", "ar": "منظمة معاهدة الأمن الجماعي"},
        "amman": {"ar": "عمّان", "en": "Amman"},
        "tokayev": {"ar": ["قاسم جومرت توكاييف", "توكاييف"]},
    }
    names = {
        "ar": ["كازاخستان", "عمان", "منظمة معاهدة الامن الجماعي", "توكاييف"],
        "ur": ["قازقستان"],
        "en": ["csto", "Kazakhstan"],
        "fr": ["OTSC"],
    }
    got = _entities(_config(table), names)
    assert got[("ur", "قازقستان")] == got[("ar", "كازاخستان")] == got[("en", "Kazakhstan")] == "territory:KZ"
    assert (
        got[("ar", "منظمة معاهدة الامن الجماعي")] == got[("en", "csto")] == got[("fr", "OTSC")] == "tag:csto"
    )
    assert got[("ar", "عمان")] == "tag:amman"  # the site's table wins over CLDR's Oman
    assert got[("ar", "توكاييف")] == "tag:tokayev"
    assert _entities(_config(), {"ar": ["عمان"]})[("ar", "عمان")] == "territory:OM"


def test_entity_index_prefers_the_tag_with_more_articles():
    a, b = (
        Tag(lang="ar", key=k, name=k, slug=k, articles=arts, entity="territory:KZ")
        for k, arts in (("قزاقستان", ()), ("كازاخستان", (object(),)))
    )
    assert entity_index({"ar": (a, b)})[("territory:KZ", "ar")] is b


def _switcher(page: Path) -> dict[str, str]:
    root = lxml.html.fromstring(page.read_bytes())
    return {
        a.get("hreflang"): urllib.parse.unquote(a.get("href"))
        for a in root.xpath("//nav[contains(@class,'lang-switcher')]//a")
    }


def _alternates(page: Path) -> dict[str, str]:
    root = lxml.html.fromstring(page.read_bytes())
    return {
        link.get("hreflang"): urllib.parse.unquote(urllib.parse.urlsplit(link.get("href")).path)
        for link in root.xpath("//link[@rel='alternate'][@hreflang]")
    }


def test_tag_pages_switch_to_the_same_tag(demo_site):
    report, out = demo_site
    site = report.site
    index = entity_index(site.tags)
    kz = {lang: index.get(("territory:KZ", lang)) for lang in ("ar", "fa", "ur", "en", "fr")}
    assert all(kz[lang] for lang in ("fa", "ur", "en", "fr")), kz
    page = out / "en" / "tags" / "kazakhstan" / "index.html"
    switcher, alternates = _switcher(page), _alternates(page)
    for lang, tag in kz.items():
        want = f"/{lang}/tags/{tag.slug}/" if tag else f"/{lang}/"
        assert switcher[lang] == want
        if tag:
            assert alternates[lang] == want
    assert switcher["fa"] == "/fa/tags/قزاقستان/" and switcher["ur"] == "/ur/tags/قازقستان/"
    # A tag no other language has: the switcher offers the other homes, no alternates.
    rain = out / "ur" / "tags" / "موسم" / "index.html"
    assert _switcher(rain)["en"] == "/en/" and not _alternates(rain)


def test_article_and_archive_switch_to_the_same_page(demo_site):
    _, out = demo_site
    article = next((out / "en" / "articles").glob("tokayev-*/index.html"))
    switcher = _switcher(article)
    assert switcher["fa"].startswith("/fa/articles/") and switcher["fr"].startswith("/fr/articles/")
    month = _switcher(out / "en" / "archive" / "2022" / "01" / "index.html")
    assert month["fa"] == "/fa/archive/2022/01/" and month["fr"] == "/fr/archive/2022/01/"
    assert month["ar"] == "/ar/archive/2022/01/" and month["ur"] == "/ur/archive/2022/01/"
    # No English article in April 2022: the English choice is the English home.
    assert _switcher(out / "ar" / "archive" / "2022" / "04" / "index.html")["en"] == "/en/"


@pytest.mark.parametrize("at_root", [False, True])
def test_every_internal_link_resolves(tmp_path, at_root):
    root = copy_site(tmp_path / "site")
    base = "https://example.org/news/"
    report, out = build(root, tmp_path / "public", default_language_at_root=at_root, base_url=base)
    home = lxml.html.fromstring((out / "index.html").read_bytes())
    assert home.get("lang") == "ar"
    assert (out / "ar").is_dir() != at_root
    assert bool(home.xpath("//nav[contains(@class,'lang-switcher')]")) == at_root
    broken = set()
    for page in out.rglob("*.html"):
        doc = lxml.html.fromstring(page.read_bytes())
        for url in doc.xpath(
            "//a/@href | //link[@rel='alternate' or @rel='canonical' or @rel='stylesheet']/@href"
        ):
            parts = urllib.parse.urlsplit(urllib.parse.urljoin(base, url))
            if parts.netloc != "example.org" or not parts.path.startswith("/news/"):
                continue
            target = out / urllib.parse.unquote(parts.path[len("/news/") :])
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.add(f"{page.relative_to(out)} -> {url}")
    assert not broken, sorted(broken)[:20]
    switch = _switcher(out / "en" / "index.html")
    assert switch["ar"] == ("/news/" if at_root else "/news/ar/")


def test_arabic_counts_use_the_dual_and_the_plural_forms():
    """A number meeting a noun goes through the catalogue's plural forms: Arabic has six,
    with the dual (دقيقتان, مقالان) instead of a numeral for two."""
    tr = translations_for(LOCALE_DIR, "ar")

    def minutes(n):
        return tr.ngettext("%(num)s min read", "%(num)s min read", n) % {"num": n}

    assert minutes(1) == "مدة القراءة: دقيقة واحدة"
    assert minutes(2) == "مدة القراءة: دقيقتان"
    assert minutes(3) == "مدة القراءة: 3 دقائق"
    assert minutes(11) == "مدة القراءة: 11 دقيقة"
    articles = tr.ngettext("%(num)s article", "%(num)s articles", 2) % {"num": 2}
    assert articles == "مقالان"


def test_a_language_without_a_complete_catalogue_is_a_warning_naming_the_strings(tmp_path):
    from conftest import build, copy_site

    root = copy_site(tmp_path / "site")
    toml = root / "site.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[languages.sd]\nname = "سنڌي"\nlocale = "sd_PK"\n',
        encoding="utf-8",
    )
    # Sindhi: a language Sahifa ships no catalogue for
    (root / "content/sd").mkdir()
    report, _ = build(root)
    notes = [n for n in report.notices if "interface strings" in n]
    assert len(notes) == 1, notes  # the demo's own catalogues are complete; English is the source
    assert notes[0].startswith("theme/locale/sd/LC_MESSAGES/messages.po: no catalogue for سنڌي (sd)")
    assert report.exit_code == 0  # a warning, not a failure
    catalogue = root / "theme/locale/sd/LC_MESSAGES/messages.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_text('msgid ""\nmsgstr ""\n\nmsgid "Sections"\nmsgstr "حصا"\n', encoding="utf-8")
    report, _ = build(root)
    notes = [n for n in report.notices if "interface strings" in n]
    from babel.messages.pofile import read_po

    with (REPO / "locale/messages.pot").open("rb") as fh:
        expected = sum(1 for m in read_po(fh) if m.id) - 1  # every message but "Sections"
    assert len(notes) == 1 and notes[0].startswith(
        f"theme/locale/sd/LC_MESSAGES/messages.po: {expected} interface"
    ), notes
    assert "'Tags'" in notes[0] and "'Sections'" not in notes[0]


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(st.integers(0, 10**12), st.sampled_from((999, 1000, 9999, 10000, 100000))),
    locale=st.sampled_from(
        ("ar", "ar_MA", "fa", "ur", "ckb", "en", "en_IN", "hi", "fr", "fr_CH", "de_CH", "es", "pl")
    ),
    system=st.sampled_from(("latn", "arab", "arabext")),
)
def test_whole_numbers_are_grouped_as_babel_groups_them(value, locale, system):
    """The quick path for whole numbers (``i18n._grouping``) writes what Babel writes, in
    locales grouping by threes and in the others (Indian grouping; Swiss ones, where Babel
    groups 1'000 but not 1234567)."""
    expected = to_digits(_format_decimal(value, locale, system), system)
    assert format_number.__wrapped__(value, locale, system) == expected


def test_compiled_catalogues_are_kept_while_the_files_are_the_same(tmp_path):
    """A build cache's compiled catalogues (``translations_for(..., compiled)``) serve while
    the ``.po`` file's bytes are the same, and are compiled again once they are not."""
    folder = tmp_path / "locale"
    po = folder / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po").read_bytes())
    compiled: dict = {}
    first = translations_for([folder], "fr", compiled).gettext("Older")
    assert first != "Older" and ("mo", "fr") in compiled
    kept = compiled[("mo", "fr")]
    assert translations_for([folder], "fr", compiled).gettext("Older") == first
    assert compiled[("mo", "fr")] is kept  # not compiled again
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace(f'msgstr "{first}"', 'msgstr "Plus vieux"', 1), encoding="utf-8")
    assert translations_for([folder], "fr", compiled).gettext("Older") == "Plus vieux"
    assert compiled[("mo", "fr")] is not kept
