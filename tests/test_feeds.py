"""Atom and RSS feeds: real parsers accept them, languages, dates, links and ids are right."""

from __future__ import annotations

import datetime as dt
import re

import feedparser
import pytest
from lxml import etree

from generator.config import load_config
from generator.feeds import FeedWriter, entry_id, xml_text
from generator.model import Article, Site
from generator.urls import Urls
from conftest import markdown_record
from newsite import SEED_LOC_PATH

LANGS = ("ar", "fa", "ur", "en", "fr")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")


def _feeds(out, pattern):
    return sorted(out.glob(pattern))


@pytest.mark.parametrize("lang", LANGS)
def test_language_atom_parses_cleanly(news_site, lang):
    _, out, base = news_site
    path = out / lang / "feed.xml"
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.language == lang
    assert parsed.entries, "the demo site has articles in every language"
    for entry in parsed.entries:
        assert entry.link.startswith(base)
        assert entry.id.startswith("urn:uuid:")
        assert entry.summary
        assert entry.content[0].value
    root = etree.parse(str(path)).getroot()
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for when in root.xpath("//a:updated/text() | //a:published/text()", namespaces=ns):
        assert RFC3339.match(when), when
    newest = max(root.xpath("a:entry/a:updated/text()", namespaces=ns))
    assert root.xpath("a:updated/text()", namespaces=ns) == [newest]
    self_link = root.xpath("a:link[@rel='self']/@href", namespaces=ns)
    assert self_link == [f"{base}{lang}/feed.xml"]


@pytest.mark.parametrize("lang", LANGS)
def test_language_rss_parses_cleanly(news_site, lang):
    _, out, base = news_site
    parsed = feedparser.parse((out / lang / "rss.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.language == lang
    assert parsed.feed.link == f"{base}{lang}/"
    for entry in parsed.entries:
        assert entry.link.startswith(base)
        assert entry.published_parsed
        assert entry.id.startswith("urn:uuid:")


def test_every_tag_has_a_clean_feed(news_site):
    _, out, base = news_site
    feeds = _feeds(out, "*/tags/*/feed.xml")
    assert len(feeds) >= 10
    for path in feeds:
        lang = path.relative_to(out).parts[0]
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.feed.language == lang
        assert 1 <= len(parsed.entries) <= 20
        assert all(e.link.startswith(base) for e in parsed.entries)


def test_seed_article_is_in_the_arabic_feeds(news_site):
    _, out, base = news_site
    for name in ("feed.xml", "rss.xml"):
        parsed = feedparser.parse((out / "ar" / name).read_bytes())
        links = [e.link for e in parsed.entries]
        assert f"{base}{SEED_LOC_PATH}" in links
        entry = parsed.entries[links.index(f"{base}{SEED_LOC_PATH}")]
        assert "شويغو" in entry.title and "كازاخستان" in entry.title


def test_pages_link_their_feeds(news_site):
    _, out, _ = news_site
    home = (out / "ar" / "index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml"' in home and 'href="/news/ar/feed.xml"' in home
    assert 'href="/news/ar/rss.xml"' in home


def _record(title, summary, body, day=dt.date(2024, 5, 1), lang="en", slug="x"):
    published = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return markdown_record(
        slug, published, lang=lang, title=title, summary=summary, body_html=body, paragraphs=(summary,)
    )


def test_hostile_text_is_escaped_and_illegal_characters_dropped(tmp_path):
    config = load_config(tmp_path, base_url="https://example.org/")
    urls = Urls(config)
    record = _record(
        "A <b>&</b> \x00\x1b\ufffe title ]]>",
        "Lead \x0c with </summary> <script>",
        "<p>Body &amp; <em>more</em></p>",
    )
    article = Article(record=record, slug="x", path=urls.article("en", "x"), translation_group="g")
    site = Site(articles={"en": (article,)}, terms={"tags": {"en": ()}}, translations={})
    writer = FeedWriter(site, config, lambda tag: "")
    for data in (writer.language_atom("en"), writer.language_rss("en")):
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert parsed.entries[0].title == "A <b>&</b>  title ]]>"
        etree.fromstring(data)  # well-formed
    assert xml_text("a\x00b\ud800c") == "abc"
    rss = etree.fromstring(writer.language_rss("en"))
    # RSS descriptions are HTML: the plain-text lead must arrive as text, not as a tag.
    assert rss.findtext("channel/item/description") == "Lead  with &lt;/summary&gt; &lt;script&gt;"


def test_feeds_are_deterministic_and_ids_stable(tmp_path):
    config = load_config(tmp_path, base_url="https://example.org/")
    other = load_config(tmp_path, base_url="https://mirror.example.net/sub/")
    record = _record("T", "S", "<p>B</p>")
    a1 = Article(record=record, slug="x", path=Urls(config).article("en", "x"), translation_group="g")
    a2 = Article(record=record, slug="x", path=Urls(other).article("en", "x"), translation_group="g")
    assert entry_id(a1) == entry_id(a2)
    site = Site(articles={"en": (a1,)}, terms={"tags": {"en": ()}}, translations={})
    one = FeedWriter(site, config, lambda t: "").language_atom("en")
    two = FeedWriter(site, config, lambda t: "").language_atom("en")
    assert one == two
    assert b"<updated>2024-05-01T00:00:00Z</updated>" in one


def test_empty_language_feed_is_valid(tmp_path):
    config = load_config(tmp_path, base_url="https://example.org/")
    site = Site(articles={"en": ()}, terms={"tags": {"en": ()}}, translations={})
    parsed = feedparser.parse(FeedWriter(site, config, lambda t: "").language_atom("en"))
    assert parsed.bozo == 0 and parsed.entries == []
