"""Page metadata: title, description, canonical, Open Graph, Twitter, JSON-LD NewsArticle;
pagination links in <head>; reading time, related stories, previous/next, archive years."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from newsite import BASE_URL, SEED_LOC_PATH, SEED_SLUG, build_demo

SEED_PAGE = f"ar/articles/{SEED_SLUG}/index.html"


def _page(out: Path, rel: str):
    return lxml.html.fromstring((out / rel).read_bytes())


def _article_pages(out: Path):
    return sorted(out.glob("*/articles/*/index.html"))


def test_every_article_has_matching_json_ld(news_site):
    _, out, base = news_site
    pages = _article_pages(out)
    assert len(pages) >= 10
    for path in pages:
        doc = lxml.html.fromstring(path.read_bytes())
        scripts = doc.xpath("//script[@type='application/ld+json']/text()")
        assert len(scripts) == 1, path
        data = json.loads(scripts[0])
        canonical = doc.xpath("//link[@rel='canonical']/@href")[0]
        assert canonical.startswith(base)
        assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
        assert data["headline"] == doc.xpath("string(//h1)").strip()
        assert data["inLanguage"] == doc.get("lang")
        assert data["mainEntityOfPage"]["@id"] == canonical == data["url"]
        assert (
            data["datePublished"] == doc.xpath("//article//header/p[@class='meta']//time/@datetime")[-1]
        )  # the time, when given
        assert data["dateModified"] >= data["datePublished"]
        updated = doc.xpath("//article//header/p[@class='updated']//time/@datetime")
        if updated:  # a corrected story shows its correction time, the JSON-LD's dateModified
            assert updated[-1] == data["dateModified"] > data["datePublished"]
        assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
        tags = [a.text_content() for a in doc.xpath("//article/footer//ul[@class='tags']//a")]
        assert data.get("keywords", []) == tags
        assert doc.xpath("//meta[@property='og:url']/@content") == [canonical]
        assert doc.xpath("//meta[@property='og:type']/@content") == ["article"]
        assert doc.xpath("//meta[@property='og:title']/@content") == [data["headline"]]
        # Every page shares a picture: the lead photo's social size, else the site's card.
        assert doc.xpath("//meta[@name='twitter:card']/@content") == ["summary_large_image"]
        shared = doc.xpath("//meta[@property='og:image']/@content")
        assert shared == doc.xpath("//meta[@name='twitter:image']/@content") == data["image"]
        assert shared[0].startswith(("http://", "https://"))


def test_seed_article_metadata(news_site):
    _, out, base = news_site
    doc = _page(out, SEED_PAGE)
    title = doc.xpath("string(//title)")
    assert "قوات الأمن الجماعي" in title and "شويغو" in title
    description = doc.xpath("//meta[@name='description']/@content")[0]
    assert description.startswith("أعلن وزير الدفاع الروسي")
    assert doc.xpath("//meta[@property='og:description']/@content") == [description]
    assert doc.xpath("//meta[@property='og:locale']/@content") == ["ar_SY"]
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"{base}{SEED_LOC_PATH}"]
    data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["datePublished"] == "2022-01-11"
    names = [o["name"] for o in data["sourceOrganization"]]
    assert any("سبوتنيك" in n for n in names)
    assert "منظمة معاهدة الأمن الجماعي" in data["keywords"]


def test_json_ld_cannot_break_out_of_its_script(tmp_path):
    root = tmp_path / "site"
    report, out = build_demo(root)
    (root / "content" / "en" / "evil.md").write_text(
        '---\ntitle: "</script><script>alert(1)</script>"\ndate: 2024-01-01\n'
        'tags: ["a\'b", "<x>"]\n---\nBody & more.\n',
        encoding="utf-8",
    )
    from conftest import build

    report, out = build(root)
    doc = _page(out, "en/articles/script-script-alert-1-script/index.html")
    raw = (out / "en/articles/script-script-alert-1-script/index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw
    data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["headline"] == "</script><script>alert(1)</script>"
    assert data["keywords"] == ["a'b", "<x>"]


def test_reading_time_is_shown(news_site):
    _, out, _ = news_site
    doc = _page(out, SEED_PAGE)
    text = doc.xpath("string(//p[@class='reading-time'])")
    assert text.strip()
    assert any(ch.isdigit() for ch in text)


def test_previous_next_and_related_stay_in_the_language(news_site):
    _, out, _ = news_site
    for path in _article_pages(out):
        lang = path.relative_to(out).parts[0]
        doc = lxml.html.fromstring(path.read_bytes())
        for href in doc.xpath("//nav[@class='article-nav']//a/@href | //aside[@class='related']//a/@href"):
            assert href.startswith(f"/news/{lang}/articles/"), (path, href)
        related = doc.xpath("//aside[@class='related']//a")
        assert len(related) <= 5
    # The Arabic demo articles are linked in date order.
    doc = _page(out, SEED_PAGE)
    assert doc.xpath("//nav[@class='article-nav']/a[@rel='next']/@href")
    en = _page(
        out, "en/articles/tokayev-says-csto-troops-will-start-leaving-kazakhstan-within-two-days/index.html"
    )
    assert en.xpath("//nav[@class='article-nav']/a/@href")


def test_pagination_links_in_head(tmp_path):
    _, out = build_demo(tmp_path / "site", page_size=1, base_url=BASE_URL)
    first, second = _page(out, "ar/index.html"), _page(out, "ar/page/2/index.html")
    assert first.xpath("//head/link[@rel='next']/@href") == ["/news/ar/page/2/"]
    assert first.xpath("//head/link[@rel='prev']") == []
    assert second.xpath("//head/link[@rel='prev']/@href") == ["/news/ar/"]
    assert second.xpath("//head/link[@rel='next']/@href") == ["/news/ar/page/3/"]
    assert second.xpath("//nav[@class='pagination']/a[@rel='prev']/@href") == ["/news/ar/"]
    assert first.get("dir") == "rtl"


def test_archive_index_groups_months_by_year(news_site):
    _, out, _ = news_site
    doc = _page(out, "ar/archive/index.html")
    years = [
        h.text.strip() for h in doc.xpath("//section[@class='archive-calendar'][1]/h3[@class='archive-year']")
    ]
    assert years and years == sorted(set(years), reverse=True)  # newest year first, each once
    assert {"2026", "2023", "2022"} <= set(years)
    fa = _page(out, "fa/archive/index.html")
    assert fa.xpath("//h3[@class='archive-year']")


@pytest.mark.parametrize("lang", ["ar", "fa", "ur", "en", "fr"])
def test_404_and_search_pages_exist(news_site, lang):
    _, out, _ = news_site
    assert (out / lang / "404.html").exists()
    doc = _page(out, f"{lang}/search/index.html")
    assert doc.xpath("//label[@for='search-input']")
    assert doc.xpath("//input[@id='search-input']")
    assert f"/news/{lang}/search/" in _page(out, f"{lang}/index.html").xpath(
        "//nav[@class='site-nav']//a/@href"
    )


def test_related_ranks_by_shared_tags_then_recency(tmp_path):
    import datetime as dt

    from generator.assemble import assemble
    from generator.config import load_config
    from conftest import markdown_record
    from generator.related import build_index, neighbours, related

    def rec(name, day, tags):
        published = dt.datetime(2024, 1, day, tzinfo=dt.timezone.utc)
        return markdown_record(name, published, tags=tags, slug=name, source_id=name)

    config = load_config(tmp_path, base_url="https://example.org/")
    records = [
        rec("main", 10, ["a", "b", "c"]),
        rec("two-old", 1, ["a", "b"]),
        rec("two-new", 5, ["b", "c"]),
        rec("one-newest", 20, ["a"]),
        rec("one-old", 2, ["c"]),
        rec("none", 15, ["z"]),
        rec("three", 3, ["a", "b", "c", "z"]),
    ]
    site = assemble(records, config, today=dt.date(2025, 1, 1))
    index = build_index(site)
    main = next(a for a in site.articles["en"] if a.slug == "main")
    assert [a.slug for a in related(index, main)] == ["three", "two-new", "two-old", "one-newest", "one-old"]
    assert [a.slug for a in related(index, main, limit=2)] == ["three", "two-new"]
    older, newer = neighbours(index, main)
    assert (older.slug, newer.slug) == ("two-new", "none")


def test_structured_data_read_back_by_a_maintained_extractor(news_site):
    """extruct reads what search engines read: every article's NewsArticle has the properties
    Google recommends (headline, image when there is one, datePublished and dateModified with
    their offset when timed, author with name and URL, publisher with a logo) and a
    BreadcrumbList home → section → story; every front page a WebSite with its publisher."""
    import extruct

    _, out, base = news_site
    for path in _article_pages(out):
        data = extruct.extract(path.read_text(encoding="utf-8"), base_url=base, syntaxes=["json-ld"])
        [article] = [d for d in data["json-ld"] if d.get("@type") == "NewsArticle"]
        assert article["headline"] and article["publisher"]["logo"]["url"].startswith(base)
        assert article["publisher"]["name"] and article["publisher"]["url"].startswith(base)
        if "datePublished" in article:
            assert article["dateModified"] >= article["datePublished"]
        for author in article.get("author", ()):
            assert author["name"] and author["url"].startswith(base)
        crumbs = article["mainEntityOfPage"]["breadcrumb"]["itemListElement"]
        assert [c["position"] for c in crumbs] == list(range(1, len(crumbs) + 1))
        assert crumbs[-1]["item"] == article["url"] and crumbs[-1]["name"] == article["headline"]
        assert 2 <= len(crumbs) <= 3 and crumbs[0]["item"].endswith("/")
    for home in sorted(out.glob("*/index.html")):
        data = extruct.extract(home.read_text(encoding="utf-8"), base_url=base, syntaxes=["json-ld"])
        [site] = [d for d in data["json-ld"] if d.get("@type") == "WebSite"]
        assert site["url"] == base + home.parent.name + "/" and site["publisher"]["logo"]["url"]
