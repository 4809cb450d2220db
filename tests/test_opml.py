"""OPML import and export: round trips, folders, real-world spellings, hostile documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.errors import SahifaError
from generator.opml import MAX_BYTES, Subscription, read_opml, write_opml

SUBS = [
    Subscription("https://www.aljazeera.net/rss", "الجزيرة نت", "ar", "https://www.aljazeera.net", "أخبار"),
    Subscription("https://www.bbc.com/persian/index.xml", "بی‌بی‌سی فارسی", "fa", "", "اخبار/جهان"),
    Subscription("https://www.bbc.com/urdu/index.xml", "بی بی سی اردو", "ur", category="اخبار/جهان"),
    Subscription(
        "http://www.lemonde.fr/rss/une.xml", "Le Monde — À la une", "fr-FR", "https://www.lemonde.fr"
    ),
    Subscription("https://example.org/feed.atom", "Example", None, "", "Tech"),
]

ARABIC_OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>اشتراكاتي</title></head>
  <body>
    <outline text="أخبار">
      <outline text="عربية" title="العالم العربي">
        <outline type="rss" text="الجزيرة" title="الجزيرة نت" xmlUrl="https://www.aljazeera.net/rss"
                 htmlUrl="https://www.aljazeera.net" language="ar-SA"/>
        <outline type="rss" text="العربية" xmlUrl="https://www.alarabiya.net/feed"/>
      </outline>
      <outline type="rss" text="بي بي سي عربي" xmlUrl="https://feeds.bbci.co.uk/arabic/rss.xml"/>
    </outline>
    <outline type="rss" text="Le Monde" xmlUrl="https://www.lemonde.fr/rss/une.xml" language=" fr "/>
  </body>
</opml>
""".encode()

PERSIAN_OPML_V1 = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>خوراک‌ها</title></head>
  <body>
    <outline TEXT="بی‌بی‌سی فارسی" XMLURL="https://www.bbc.com/persian/index.xml" HTMLURL="https://www.bbc.com/persian"
             LANGUAGE="fa-IR"/>
    <outline text="رادیو فردا" xmlurl="https://www.radiofarda.com/api/" htmlurl="https://www.radiofarda.com"
             lang="fa"/>
    <outline Text="Dawn" XmlUrl="https://www.dawn.com/feeds/home" xml:lang="en-PK"/>
    <outline text="اردو" xmlUrl="https://www.bbc.com/urdu/index.xml" language=""/>
  </body>
</opml>
""".encode()


def test_round_trip_equals_input():
    data = write_opml(SUBS, "اشتراكات — Subscriptions")
    subs, warnings = read_opml(data, "subs.opml")
    assert warnings == []
    assert subs == SUBS


def test_written_document_is_opml_2_and_deterministic():
    data = write_opml(SUBS, "عنوان")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert data == write_opml(list(SUBS), "عنوان")
    root = etree.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "عنوان"
    assert root.find("head/dateCreated") is None
    feeds = root.findall(".//outline[@type='rss']")
    assert len(feeds) == len(SUBS)
    jazeera = root.find(".//outline[@xmlUrl='https://www.aljazeera.net/rss']")
    assert jazeera.get("text") == jazeera.get("title") == "الجزيرة نت"
    assert jazeera.get("htmlUrl") == "https://www.aljazeera.net"
    assert jazeera.get("language") == "ar"
    assert jazeera.getparent().get("text") == "أخبار"
    example = root.find(".//outline[@xmlUrl='https://example.org/feed.atom']")
    assert example.get("language") is None and example.get("htmlUrl") is None
    # Arabic and Persian are written as characters, not character references.
    assert "بی‌بی‌سی فارسی".encode() in data


def test_folders_nest_and_keep_first_appearance_order():
    root = etree.fromstring(write_opml(SUBS, "t"))
    top = [o.get("text") for o in root.find("body")]
    assert top == ["أخبار", "اخبار", "Le Monde — À la une", "Tech"]
    world = root.find("body")[1]
    assert [o.get("text") for o in world] == ["جهان"]
    assert len(world[0]) == 2


def test_nested_folders_give_categories():
    subs, warnings = read_opml(ARABIC_OPML, "ar.opml")
    assert warnings == []
    by_url = {s.url: s for s in subs}
    assert [s.url for s in subs] == [
        "https://www.aljazeera.net/rss",
        "https://www.alarabiya.net/feed",
        "https://feeds.bbci.co.uk/arabic/rss.xml",
        "https://www.lemonde.fr/rss/une.xml",
    ]
    jazeera = by_url["https://www.aljazeera.net/rss"]
    assert jazeera.name == "الجزيرة نت"  # title before text
    assert jazeera.category == "أخبار/العالم العربي"  # a folder is named by its title too
    assert jazeera.lang == "ar-SA"
    assert jazeera.site_url == "https://www.aljazeera.net"
    assert by_url["https://www.alarabiya.net/feed"].name == "العربية"
    assert by_url["https://www.alarabiya.net/feed"].lang is None
    assert by_url["https://feeds.bbci.co.uk/arabic/rss.xml"].category == "أخبار"
    monde = by_url["https://www.lemonde.fr/rss/une.xml"]
    assert monde.category == "" and monde.lang == "fr"


def test_category_attribute_first_item():
    data = b"""<opml version="2.0"><body>
      <outline text="A" xmlUrl="https://a.example/rss" category="/News/World,/Other"/>
      <outline text="Tech">
        <outline text="B" xmlUrl="https://b.example/rss" category="Linux"/>
        <outline text="C" xmlUrl="https://c.example/rss" category="/Tech/Kernel"/>
      </outline>
    </body></opml>"""
    subs, _ = read_opml(data, "c.opml")
    assert [s.category for s in subs] == ["News/World", "Tech/Linux", "Tech/Kernel"]


def test_attribute_case_variants_and_languages():
    subs, warnings = read_opml(PERSIAN_OPML_V1, "fa.opml")
    assert warnings == []
    assert [(s.name, s.url, s.site_url, s.lang) for s in subs] == [
        ("بی‌بی‌سی فارسی", "https://www.bbc.com/persian/index.xml", "https://www.bbc.com/persian", "fa-IR"),
        ("رادیو فردا", "https://www.radiofarda.com/api/", "https://www.radiofarda.com", "fa"),
        ("Dawn", "https://www.dawn.com/feeds/home", "", "en-PK"),
        ("اردو", "https://www.bbc.com/urdu/index.xml", "", None),
    ]
    # ZWNJ (Persian spelling) survives.
    assert "\u200c" in subs[0].name


def test_non_http_urls_warned_and_skipped():
    data = """<opml version="2.0"><body>
      <outline text="ملف محلي" xmlUrl="file:///etc/passwd"/>
      <outline text="Script" xmlUrl="javascript:alert(1)"/>
      <outline text="FTP" xmlUrl="ftp://example.com/feed.xml"/>
      <outline text="Relative" xmlUrl="/feed.xml"/>
      <outline text="Empty" xmlUrl="  "/>
      <outline text="Good" xmlUrl="  HTTPS://example.com/feed  " htmlUrl="javascript:alert(1)"/>
      <outline text="No url" type="rss"/>
    </body></opml>""".encode()
    subs, warnings = read_opml(data, "bad.opml")
    assert subs == [Subscription("HTTPS://example.com/feed", "Good")]
    joined = "\n".join(warnings)
    for name in ("ملف محلي", "Script", "FTP", "Relative", "Empty", "No url"):
        assert repr(name) in joined
    assert sum("not an http(s) URL; skipped" in w for w in warnings) == 5
    assert any("'Good'" in w and "site URL" in w for w in warnings)


def test_duplicates_kept_once_with_warning():
    data = b"""<opml version="1.0"><body>
      <outline text="First" xmlUrl="https://Example.COM/feed"/>
      <outline text="Folder">
        <outline text="Second" xmlUrl=" https://example.com/feed "/>
        <outline text="Third" xmlUrl="HTTPS://EXAMPLE.com/feed"/>
      </outline>
      <outline text="Path differs" xmlUrl="https://example.com/FEED"/>
    </body></opml>"""
    subs, warnings = read_opml(data, "dup.opml")
    assert [s.name for s in subs] == ["First", "Path differs"]
    assert len(warnings) == 2
    assert all("listed twice" in w and "'First'" in w for w in warnings)
    assert "'Second'" in warnings[0] and "'Third'" in warnings[1]


def test_control_and_bidi_characters_stripped_from_names():
    data = "<opml><body><outline text='\u202eأخبار\u202c\u0086\tاليوم\u2066' xmlUrl='https://a.example/'/></body></opml>"
    subs, _ = read_opml(data.encode(), "bidi.opml")
    assert subs[0].name == "أخبار اليوم"


def test_write_drops_characters_xml_cannot_hold():
    sub = Subscription("https://a.example/", "\x07أخبار\u202e\x00 اليوم", "ar\x0b")
    back, _ = read_opml(write_opml([sub], "t\x01"), "w.opml")
    assert back == [Subscription("https://a.example/", "أخبار اليوم", "ar")]


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-PASSWD-CONTENT")
    passwd = Path("/etc/passwd").read_text(errors="replace") if Path("/etc/passwd").exists() else ""
    for target in ("file:///etc/passwd", secret.as_uri()):
        docs = [
            f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "{target}">]>'
            '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>',
            f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "{target}">]>'
            '<opml version="2.0"><body><outline xmlUrl="https://a.example/">&x;</outline></body></opml>',
            f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{target}">'
            '<opml version="2.0"><body><outline xmlUrl="https://a.example/"/></body></opml>',
        ]
        for doc in docs:
            try:
                subs, warnings = read_opml(doc.encode(), "xxe.opml")
            except SahifaError as err:
                assert err.path == "xxe.opml"
                text = str(err)
            else:
                assert all(s.name == "" for s in subs)
                text = repr(subs) + repr(warnings)
            assert "TOP-SECRET" not in text
            assert "root:" not in text
            if passwd:
                assert passwd.splitlines()[0] not in text


def test_billion_laughs_does_not_expand():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    for where in ('text="&lol9;"', 'text="x">&lol9;</outline><outline text="y"'):
        doc = (
            f'<?xml version="1.0"?><!DOCTYPE opml [{entities}]>'
            f'<opml><body><outline {where} xmlUrl="https://a.example/"/></body></opml>'
        )
        try:
            subs, _ = read_opml(doc.encode(), "lol.opml")
        except SahifaError as err:
            assert err.path == "lol.opml"
        else:
            assert all(len(s.name) < 100 for s in subs)


def test_small_internal_entity_is_refused():
    doc = b'<!DOCTYPE opml [<!ENTITY n "News">]><opml><body><outline text="&n;" xmlUrl="https://a.example/"/></body></opml>'
    with pytest.raises(SahifaError, match="entities"):
        read_opml(doc, "ent.opml")


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        b"<html><body><outline xmlUrl='https://a.example/'/></body></html>",
        b'<opml version="2.0"><head><title>no body</title></head></opml>',
    ],
    ids=["rss", "html", "no-body"],
)
def test_not_opml_raises_naming_source(doc):
    with pytest.raises(SahifaError) as info:
        read_opml(doc, "feeds/not-opml.xml")
    assert info.value.path == "feeds/not-opml.xml"
    assert "not an OPML document" in info.value.reason
    assert "feeds/not-opml.xml" in str(info.value)


@pytest.mark.parametrize(
    "doc",
    [
        b"",
        b"   \n",
        b"<opml><body><outline text='x' xmlUrl='https://a.example/'></body></opml>",
        b"<opml><body>",
        "<opml><body><outline text='أخبار' xmlUrl='https://a.example/'/></body></opml>".encode("cp1256"),
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"<opml><body/></opml><opml/>",
    ],
    ids=["empty", "blank", "unclosed", "truncated", "bad-encoding", "binary", "two-roots"],
)
def test_malformed_xml_raises_naming_source(doc):
    with pytest.raises(SahifaError) as info:
        read_opml(doc, "broken.opml")
    assert info.value.path == "broken.opml"
    assert "broken.opml" in str(info.value)


def test_oversized_input_refused_before_parsing():
    doc = b"<opml><body>" + b" " * MAX_BYTES + b"</body></opml>"
    with pytest.raises(SahifaError, match="larger than 5 MB"):
        read_opml(doc, "big.opml")


def test_empty_body_warns():
    subs, warnings = read_opml(b"<opml version='1.0'><head/><body/></opml>", "empty.opml")
    assert subs == [] and warnings == ["the OPML file lists no feeds"]


def test_comments_and_processing_instructions_ignored():
    doc = b"""<?xml version="1.0"?><opml version="2.0"><body><!-- a comment -->
      <?some-pi data?><outline text="A" xmlUrl="https://a.example/"/></body></opml>"""
    subs, warnings = read_opml(doc, "c.opml")
    assert subs == [Subscription("https://a.example/", "A")] and warnings == []


# ---- property: whatever the generator can produce round-trips ------------------------------

_LETTERS = st.characters(
    categories=("L", "N", "P", "S", "Zs"),
    exclude_characters="\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000",
)
_ARABIC = st.characters(min_codepoint=0x0621, max_codepoint=0x064A)
_PERSIAN = st.sampled_from(list("پچژکگیۀ") + ["\u200c"])
_WORD = st.text(st.one_of(_LETTERS, _ARABIC, _PERSIAN), min_size=1, max_size=12)


def _clean_name(parts: list[str]) -> str:
    # Names as read back: single spaces, no ZWNJ at an edge, NFC (what clean_value yields).
    from generator.textnorm import clean_value

    return clean_value(" ".join(parts))


_NAMES = st.lists(_WORD, max_size=4).map(_clean_name)
_HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.(com|org|net|ir|sa)", fullmatch=True)
_PATHS = st.from_regex(r"(/[A-Za-z0-9._~%-]{0,8}){0,3}(\?[a-z]=[0-9]{1,3})?", fullmatch=True)
_URLS = st.builds(lambda s, h, p: f"{s}://{h}{p}", st.sampled_from(["http", "https"]), _HOSTS, _PATHS)
_CATEGORIES = st.lists(
    st.lists(_WORD.map(lambda w: _clean_name([w.replace("/", "")])), max_size=3).map(
        lambda segs: "/".join(s for s in segs if s)
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def _subscription_lists(draw):
    categories = draw(_CATEGORIES)
    urls = draw(st.lists(_URLS, max_size=8, unique_by=lambda u: u.lower()))
    return [
        Subscription(
            url=url,
            name=draw(_NAMES),
            lang=draw(st.sampled_from([None, "ar", "ar-SA", "fa-IR", "ur", "en", "fr"])),
            site_url=draw(st.one_of(st.just(""), _URLS)),
            category=draw(st.sampled_from(categories)),
        )
        for url in urls
    ]


@settings(max_examples=150, deadline=None)
@given(_subscription_lists(), _NAMES)
def test_property_round_trip(subs, title):
    data = write_opml(subs, title)
    back, warnings = read_opml(data, "prop.opml")
    assert warnings == ([] if subs else ["the OPML file lists no feeds"])
    # Same subscriptions; within one category, in the order given.
    assert sorted(back, key=repr) == sorted(subs, key=repr)
    for category in {s.category for s in subs}:
        assert [s for s in back if s.category == category] == [s for s in subs if s.category == category]
    assert (etree.fromstring(data).findtext("head/title") or "") == title
