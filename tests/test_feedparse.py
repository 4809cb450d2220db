"""Feed reading, item text and near-duplicates: the pure parts of ``fetch``."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.feeditem import ItemRules, html_paragraphs, make_draft
from generator.feedparse import FeedError, parse_feed
from generator.neardup import THRESHOLD, NearDuplicates, signature, similarity

RSS1 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.example/"><title>R1</title><link>https://x.example/</link>
<description>d</description><dc:language>fr</dc:language></channel>
<item rdf:about="https://x.example/1"><title>Un titre</title><link>https://x.example/1</link>
<description>Le texte.</description><dc:date>2026-11-30T18:05:00+01:00</dc:date>
<dc:creator>Claire Martin</dc:creator><dc:subject>Économie</dc:subject></item>
</rdf:RDF>"""


def test_rss_1_0_with_dublin_core():
    feed = parse_feed(RSS1.encode(), url="https://x.example/rss")
    (entry,) = feed.entries
    assert feed.format == "rss10" and feed.lang == "fr"
    assert entry.link == "https://x.example/1" and entry.authors == ("Claire Martin",)
    assert (entry.published or entry.updated).isoformat() == "2026-11-30T18:05:00+01:00"
    assert entry.categories == ("Économie",)


def test_rss_0_91_and_newest_first_within_max_items():
    items = "".join(
        f"<item><title>T{i}</title><link>https://x.example/{i}</link>"
        f"<pubDate>Tue, {i + 10:02d} Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(5)
    )
    body = f'<rss version="0.91"><channel><title>Old</title>{items}</channel></rss>'.encode()
    feed = parse_feed(body, url="https://x.example/", max_items=2)
    assert [e.title for e in feed.entries] == ["T4", "T3"] and feed.total == 5


def test_json_feed_1_0_and_its_mistakes():
    body = (
        '{"version": "https://jsonfeed.org/version/1", "title": "J", "author": {"name": "Desk"},'
        '"items": [{"id": 7, "url": "javascript:alert(1)", "title": "A", "content_text": "one\\n\\ntwo",'
        '"date_published": "2026-12-01T06:00:00Z"}, "junk"]}'
    ).encode()
    feed = parse_feed(body, url="https://x.example/feed.json")
    (entry,) = feed.entries
    assert entry.guid == "7" and entry.link is None  # never a script URL
    assert entry.authors == ("Desk",) and html_paragraphs(entry.content_html) == ["one", "two"]
    assert feed.warnings


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML page"),
        (b'{"title": "not a feed"}', "JSON Feed version"),
        (b"\x00\x01binary", "not a feed"),
    ],
)
def test_what_is_not_a_feed_says_why(body, reason):
    with pytest.raises(FeedError, match=reason):
        parse_feed(body, url="https://x.example/")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_are_a_feed_or_a_feed_error(data):
    try:
        parse_feed(data, url="https://x.example/")
    except FeedError:
        pass


_MARKUP = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<br>",
            "text",
            "نص",
            "<script>bad()</script>",
            "<style>x{}</style>",
            "<b>",
            "</b>",
            "<iframe src=x></iframe>",
            "&amp;",
            "<img onerror=bad()>",
            "\n\n",
            "<li>",
            "<!--c-->",
        ]
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_MARKUP)
def test_item_html_becomes_text_without_scripts(parts):
    paragraphs = html_paragraphs("".join(parts))
    joined = "\n".join(paragraphs)
    assert "bad()" not in joined and "x{}" not in joined and "<" not in joined
    assert all(p == " ".join(p.split()) and p for p in paragraphs)


def _words(seed: int, n: int = 160) -> str:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    return " ".join(rng.choice(vocabulary) for _ in range(n))


def test_near_duplicates_are_found_and_other_stories_are_not():
    wire = _words(1)
    copy = "Outlet headline. " + wire + " " + _words(99, 25)  # an intro and an extra paragraph
    other = _words(2)
    a, b, c = signature(wire), signature(copy), signature(other)
    assert similarity(a, b) >= THRESHOLD > similarity(a, c)
    index = NearDuplicates()
    index.add(1, "ar", a)
    index.add(2, "ar", c)
    assert index.find("ar", b) == 1 and index.find("en", b) is None
    assert signature("too short to compare") is None


def test_a_draft_keeps_the_feeds_fields_and_falls_back_to_the_page():
    from datetime import UTC, datetime

    entry = parse_feed(RSS1.encode(), url="https://x.example/rss").entries[0]
    rules = ItemRules(
        name="X", categories=(("Économie", "economy"),), languages=(("fr", "fr_FR"), ("ar", "ar"))
    )
    page = {
        "title": "Titre de la page",
        "paragraphs": ["Le texte complet de la page, bien plus long que le résumé du fil."],
        "date": None,
        "authors": ["Autre"],
        "image": "https://x.example/p.jpg",
        "image_alt": "Une photo",
        "canonical": "https://x.example/canon/1",
    }
    draft = make_draft(entry, rules, extracted=page, fetched_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert draft.sidecar["title"] == "Un titre" and draft.sidecar["section"] == ["economy"]
    assert draft.sidecar["author"] == ["Claire Martin"] and draft.lang == "fr"
    assert draft.sidecar["image"] == {"src": "https://x.example/p.jpg", "alt": "Une photo"}
    assert "Le texte complet" in draft.text and draft.canonical_url == "https://x.example/canon/1"


def test_a_page_read_for_full_text_keeps_persian_zwnj():
    from generator.feeditem import Page, extract_page

    paragraphs = "".join(
        f"<p>شورای شهر در نشست {i} می\u200cگوید طرح\u200cهای تازه برای خیابان\u200cهای مرکزی آماده است.</p>"
        for i in range(6)
    )
    page = (
        '<html lang="fa" dir="rtl"><head><title>خبر</title><link rel="canonical" href="https://x.example/fa/1">'
        f"</head><body><nav><a href='/'>خانه</a></nav><article><h1>خبر</h1>{paragraphs}</article>"
        "<script>alert(1)</script></body></html>"
    )
    extracted = extract_page(Page("https://x.example/fa/1?utm=x", page.encode(), "text/html"))
    assert extracted["canonical"] == "https://x.example/fa/1"
    assert all("می\u200cگوید" in p for p in extracted["paragraphs"])
    assert not any("alert" in p for p in extracted["paragraphs"])


def test_a_section_given_by_its_id_is_written_in_the_storys_language():
    from datetime import UTC, datetime

    entry = parse_feed(RSS1.encode(), url="https://x.example/rss").entries[0]
    rules = ItemRules(
        name="X",
        categories=(("Économie", "economy"),),
        languages=(("fr", "fr_FR"),),
        term_names=(("economy", (("fr", "Économie"), ("ar", "اقتصاد"))),),
    )
    draft = make_draft(entry, rules, extracted=None, fetched_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert draft.sidecar["section"] == ["Économie"]


def test_an_agency_after_the_date_of_a_dateline_is_a_source():
    from generator.dateline import parse_dateline

    found = parse_dateline("عمّان، 1 كانون الأول (ديسمبر) 2026 (وكالة الخبر) - خفّض البنك سعر الفائدة")
    assert (found.city, found.sources, found.rest) == ("عمّان", ("وكالة الخبر",), "خفّض البنك سعر الفائدة")
    found = parse_dateline("PARIS, 2 décembre 2026 (AFP) - Le gouvernement a annoncé")
    assert found.sources == ("AFP",) and found.rest.startswith("Le gouvernement")
