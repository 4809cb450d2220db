"""The model a newsroom needs: the user's seed (golden), page kinds, taxonomies by
configuration, one field schema with times, the reader registry, permanent URLs, the cache
keyed on content. Sites here are small fixtures of their own, never the live content/."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
import time
from pathlib import Path

import feedparser
import pytest
from lxml import etree, html

from conftest import REPO, TODAY, build, committed_path, copy_site, shared_path

SEED_NAME = "000_92923d39de616abf.txt"
TITLE = "شويغو: تنتهي مهمة قوات الأمن الجماعي في كازاخستان بعد استقرار الوضع تمامًا"

SITE_TOML = """
title = "Test"
base_url = "https://example.org/"
default_language = "ar"
page_size = 10
timezone = "Asia/Riyadh"

[languages.ar]
name = "العربية"
locale = "ar_SY"
title = "صحيفة"
calendars = ["gregorian", "islamic-umalqura"]
digits = "latn"

[languages.en]
name = "English"
locale = "en_GB"
title = "Paper"
calendars = ["gregorian", "islamic-umalqura"]

[taxonomies.sections]
fields = ["section", "category"]
title = "Sections"
singular = "Section:"

[taxonomies.authors]
fields = ["author"]
title = "Authors"
singular = "By"

[taxonomies.sources]
fields = ["source"]
title = "Sources"
singular = "Sources:"

[taxonomies.tags]
title = "Tags"
singular = "Tags:"
"""


def make_site(root: Path, files: dict[str, str], toml: str = SITE_TOML) -> Path:
    """A scratch site: the repository's templates, static files and catalogues, this
    configuration, and ``files`` (path -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("templates", "static", "locale"):
        shutil.copytree(REPO / name, root / name)
    (root / "site.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    for folder in ("content", "seeds"):
        (root / folder).mkdir(exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def page(out: Path, rel: str):
    return html.fromstring((out / rel).read_text(encoding="utf-8"))


def seed_site(tmp_path: Path) -> Path:
    root = make_site(tmp_path / "site", {})
    shutil.copy(shared_path("seeds", SEED_NAME), root / "seeds" / SEED_NAME)
    return root


# ---- 1. the user's seed ------------------------------------------------------------------
@pytest.mark.corpus
def test_the_users_seed_is_in_the_project_byte_for_byte():
    ours = committed_path("seeds", SEED_NAME).read_bytes()
    assert ours == shared_path("seeds", SEED_NAME).read_bytes()
    assert not committed_path("seeds", "000_92923d39de616abf.yml").exists(), (
        "the page must be right without a sidecar"
    )


@pytest.mark.corpus
def test_golden_seed_page(tmp_path):
    root = seed_site(tmp_path)
    report, out = build(root)
    assert report.problems == []
    [article] = report.site.articles["ar"]
    assert article.source_id == "seed:000_92923d39de616abf"
    doc = page(out, article.path)
    main = doc.xpath("//main")[0]
    # The headline once.
    assert [h.text_content() for h in main.xpath(".//h1")] == [TITLE]
    assert main.text_content().count(TITLE) == 1
    assert doc.xpath("/html/@dir") == ["rtl"] and doc.xpath("/html/@lang") == ["ar"]
    # Both calendars: 11 January 2022 = 8 Jumada al-Akhirah 1443 (Umm al-Qura).
    dates = main.xpath(".//header//time")[0]
    assert dates.get("datetime") == "2022-01-11"
    greg = dates.xpath(".//a[contains(@class,'date-gregorian')]")[0].text_content()
    hijri = dates.xpath(".//a[contains(@class,'date-islamic-umalqura')]")[0].text_content()
    assert "11" in greg and "2022" in greg and "يناير" in greg
    assert "8" in hijri and "جمادى الآخرة" in hijri and "1443" in hijri
    # The publisher and the agency, each linked to its source page.
    sources = main.xpath(".//p[contains(@class,'terms-sources')]//a")
    assert [a.text_content() for a in sources] == ["أردو بوینت نتورك", "سبوتنيك"]
    for link in sources:
        target = out / link.get("href").lstrip("/") / "index.html"
        assert target.is_file(), link.get("href")
        assert article.path.split("/")[2] in target.read_text(encoding="utf-8")
    # Ten paragraphs, no wire marker, no comment-widget label.
    body = main.xpath(".//div[@class='body']/p")
    assert len(body) == 10
    text = main.text_content()
    assert "(تستمر)" not in text and "أفكارك وتعليقاتك" not in text
    # Tagged with Kazakhstan and the CSTO, both on the tag index.
    tags = [a.text_content() for a in main.xpath(".//ul[@class='tags']//a")]
    assert "كازاخستان" in tags and "منظمة معاهدة الأمن الجماعي" in tags
    index = page(out, "ar/tags/index.html").text_content()
    assert "كازاخستان" in index and "منظمة معاهدة الأمن الجماعي" in index
    # On the first page of the Arabic home.
    home = page(out, "ar/index.html")
    assert TITLE in [a.text_content() for a in home.xpath("//main//h2/a")]


def test_demo_build_shows_the_seed_on_the_arabic_home(demo_site):
    report, out = demo_site
    titles = [a.text_content() for a in page(out, "ar/index.html").xpath("//main//h2/a")]
    assert TITLE in titles
    seed = [a for a in report.site.articles["ar"] if a.record.path == f"seeds/{SEED_NAME}"]
    group = report.site.translations[seed[0].translation_group]
    assert len(seed) == 1 and {a.lang for a in group} == {"ar", "ckb", "en", "fa", "fr", "ps", "ur"}


# ---- 2./3. page kinds and taxonomies -----------------------------------------------------
def test_demo_has_sections_authors_and_sources_in_every_language(demo_site):
    report, out = demo_site
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    for lang in ("ar", "ckb", "en", "fa", "fr", "ps", "ur"):
        for taxonomy in ("sections", "authors", "sources", "tags"):
            assert (out / lang / taxonomy / "index.html").is_file(), (lang, taxonomy)
            terms = report.site.terms[taxonomy][lang]
            assert terms, (lang, taxonomy)
            for term in terms:
                first = out / lang / taxonomy / term.slug / "index.html"
                assert first.is_file()
                feed = feedparser.parse((out / lang / taxonomy / term.slug / "feed.xml").read_bytes())
                assert not feed.bozo and len(feed.entries) == len([a for a in term.articles if a.date])
                assert f"/{lang}/{taxonomy}/" in sitemap


def test_every_page_declares_kind_sitemap_lastmod_and_dependencies(tmp_path):
    from generator.config import load_config
    from generator.pages import PageKind, PagePlanner

    root = copy_site(tmp_path / "site")
    report, out = build(root)
    planner = PagePlanner(report.site, load_config(root))
    specs = list(planner.plan())
    kinds = {spec.kind for spec in specs}
    assert {
        PageKind.ROOT,
        PageKind.HOME,
        PageKind.ARTICLE,
        PageKind.TERM,
        PageKind.TERM_INDEX,
        PageKind.ARCHIVE_MONTH,
        PageKind.HIJRI_ARCHIVE_MONTH,
        PageKind.SOLAR_HIJRI_ARCHIVE_MONTH,
        PageKind.SEARCH,
        PageKind.NOT_FOUND,
    } <= kinds
    assert all(spec.path for spec in specs), "no placeholder pages"
    sitemap = etree.parse(str(out / "sitemap.xml"))
    locs = set(
        sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    )
    from generator.urls import Urls

    urls = Urls(load_config(root))
    for spec in specs:
        assert (urls.absolute(spec.path) in locs) == spec.kind.in_sitemap, spec
        if spec.kind is PageKind.ARTICLE:
            article = spec.view.article
            assert spec.articles[0] is article
            assert spec.lastmod == article.modified
            assert {(r.taxonomy, r.lang, r.key) for refs in article.terms.values() for r in refs} == set(
                spec.terms
            )
        if spec.kind is PageKind.TERM:
            assert (spec.view.term.taxonomy, spec.view.term.lang, spec.view.term.key) in spec.terms
            assert set(spec.articles) <= set(spec.view.term.articles)
    # The root 404 (GitHub Pages, Netlify) is the default language's.
    root404 = page(out, "404.html")
    assert root404.xpath("/html/@lang") == ["ar"]


def test_a_fourth_taxonomy_by_configuration_alone(tmp_path):
    toml = (
        SITE_TOML + '\n[taxonomies.regions]\nsegment = "regions"\nfields = ["region"]\n'
        'title = "Regions"\nsingular = "Region:"\n'
    )
    root = make_site(
        tmp_path / "site",
        {
            "content/ar/a.md": """
            ---
            title: خبر من الخليج
            date: 2024-01-11
            region: الخليج
            ---
            نص.
            """,
            "content/en/b.md": """
            ---
            title: News from the Gulf
            date: 2024-01-12
            region: [Gulf, Middle East]
            ---
            Text.
            """,
        },
        toml,
    )
    report, out = build(root)
    assert report.problems == [] and not any("region" in n for n in report.notices)
    assert [t.name for t in report.site.terms["regions"]["en"]] == ["Gulf", "Middle East"]
    assert (out / "ar/regions/index.html").is_file()
    assert (out / "ar/regions/الخليج/index.html").is_file()
    assert not feedparser.parse((out / "en/regions/gulf/feed.xml").read_bytes()).bozo
    art = page(out, report.site.articles["en"][0].path)
    assert [a.get("href") for a in art.xpath("//p[contains(@class,'terms-regions')]//a")] == [
        "/en/regions/gulf/",
        "/en/regions/middle-east/",
    ]
    assert "المناطق" in page(out, "ar/regions/index.html").xpath("//h1")[0].text_content()


# ---- 4. one field schema, with times ------------------------------------------------------
FIELDS = """
title: Full story
slug: full-story
date: 2024-01-11 14:30
updated: 2024-01-12T09:00:00+00:00
summary: A summary.
section: World
author: [Ann Writer, Bo Reporter]
source: Wire, Agency
tags: Kazakhstan, CSTO
city: Almaty
image: {src: photo.jpg, alt: A street, caption: The square, credit: Ann}
translation_key: full
draft: false
"""


def test_every_field_gives_the_same_article_from_front_matter_and_sidecar(tmp_path):
    from generator.config import load_config
    from generator.readers import ReadOptions, read_file

    root = make_site(
        tmp_path / "site",
        {
            "content/en/full.md": "---\n" + FIELDS + "---\nFirst paragraph.\n\nSecond paragraph.\n",
            "seeds/full.txt": "Some headline\n\nFirst paragraph.\n\nSecond paragraph.\n",
            "seeds/full.yml": FIELDS + "lang: en\n",
        },
    )
    options = ReadOptions.from_config(load_config(root))
    [md] = read_file(root / "content/en/full.md", options)
    [seed] = read_file(root / "seeds/full.txt", options)
    for name in (
        "title",
        "slug",
        "published",
        "timed",
        "updated",
        "summary",
        "terms",
        "city",
        "image",
        "translation_key",
        "draft",
        "lang",
    ):
        assert getattr(md, name) == getattr(seed, name), name
    assert md.published == dt.datetime(2024, 1, 11, 14, 30, tzinfo=md.published.tzinfo)
    assert md.published.utcoffset() == dt.timedelta(hours=3) and md.timed
    assert md.updated.isoformat() == "2024-01-12T12:00:00+03:00"
    assert dict(md.terms) == {
        "authors": ("Ann Writer", "Bo Reporter"),
        "sections": ("World",),
        "sources": ("Wire", "Agency"),
        "tags": ("Kazakhstan", "CSTO"),
    }
    assert md.image.alt == "A street" and md.image.credit == "Ann"
    assert md.warnings == () and not [w for w in seed.warnings if "field" in w]


@pytest.mark.parametrize(
    "meta, warning",
    [
        ("colour: blue", "unknown field 'colour'"),
        ("date: 2022-02-31", "not a day or time that exists"),
        ("date: [1, 2]", "'date' must be a date"),
    ],
)
def test_bad_values_follow_the_same_rules_in_both(tmp_path, meta, warning):
    from generator.config import load_config
    from generator.readers import ReadOptions, read_file

    root = make_site(
        tmp_path / "site",
        {
            "content/en/x.md": f"---\ntitle: X\n{meta}\n---\nText.\n",
            "seeds/x.txt": "X headline\n\nText of the story.\n",
            "seeds/x.yml": f"lang: en\n{meta}\n",
        },
    )
    options = ReadOptions.from_config(load_config(root))
    for path in ("content/en/x.md", "seeds/x.txt"):
        [record] = read_file(root / path, options)
        assert [w for w in record.warnings if warning in w], (path, record.warnings)


def test_aliases_are_refused_in_both(tmp_path):
    from generator.config import load_config
    from generator.errors import SahifaError
    from generator.readers import ReadOptions, read_file

    bomb = "a: &a [x, x]\nb: &b [*a, *a]\ntags: *b\n"
    root = make_site(
        tmp_path / "site",
        {
            "content/en/x.md": f"---\ntitle: X\n{bomb}---\nT.\n",
            "seeds/x.txt": "X headline\n\nText.\n",
            "seeds/x.yml": bomb,
        },
    )
    options = ReadOptions.from_config(load_config(root))
    for path in ("content/en/x.md", "seeds/x.txt"):
        with pytest.raises(SahifaError, match="aliases"):
            read_file(root / path, options)


def test_stories_of_one_day_are_ordered_by_time_everywhere(tmp_path):
    files = {}
    for name, time_of_day in (("a-morning", "08:05"), ("b-evening", "21:40"), ("c-noon", "12:00")):
        files[f"content/en/{name}.md"] = f"""
            ---
            title: Story {name}
            date: 2024-03-05 {time_of_day}
            section: World
            tags: [Gulf]
            ---
            Text of {name}.
            """
    files["content/en/d-dayonly.md"] = (
        "---\ntitle: Story d-dayonly\ndate: 2024-03-05\nsection: World\ntags: [Gulf]\n---\nT.\n"
    )
    root = make_site(tmp_path / "site", files)
    report, out = build(root)
    expected = ["Story b-evening", "Story c-noon", "Story a-morning", "Story d-dayonly"]
    for rel in ("en/index.html", "en/sections/world/index.html", "en/tags/gulf/index.html"):
        cards = page(out, rel).xpath("//main//h2[@class='card-title']/a")
        assert [a.text_content() for a in cards] == expected, rel
    for rel in ("en/feed.xml", "en/rss.xml", "en/sections/world/feed.xml"):
        feed = feedparser.parse((out / rel).read_bytes())
        assert [e.title for e in feed.entries] == expected, rel
    atom = (out / "en/feed.xml").read_text(encoding="utf-8")
    assert "<published>2024-03-05T21:40:00+03:00</published>" in atom
    assert "<published>2024-03-05T00:00:00+03:00</published>" in atom  # a day alone: its midnight
    art = page(out, report.site.articles["en"][0].path)
    assert art.xpath("//header//time/@datetime") == ["2024-03-05", "2024-03-05T21:40:00+03:00"]
    assert art.xpath("//header//time[@class='time']")[0].text_content() == "21:40"
    assert '"datePublished": "2024-03-05T21:40:00+03:00"' in (
        out / report.site.articles["en"][0].path
    ).read_text(encoding="utf-8")


def test_time_in_the_languages_digits(tmp_path):
    toml = SITE_TOML.replace('digits = "latn"', 'digits = "arab"')
    root = make_site(
        tmp_path / "site", {"content/ar/a.md": "---\ntitle: خبر\ndate: 2024-03-05 14:30\n---\nنص.\n"}, toml
    )
    report, out = build(root)
    art = page(out, report.site.articles["ar"][0].path)
    assert art.xpath("//header//time[@class='time']")[0].text_content() == "١٤:٣٠"


# ---- 5. the reader registry --------------------------------------------------------------
def test_the_registry_decides_which_reader_reads_a_file(tmp_path):
    from generator.readers import reader_for

    root = tmp_path
    assert reader_for(root / "content/ar/x.md", root)[0].kind == "markdown"
    assert reader_for(root / "content/ar/x.md", root)[1] == "ar"
    assert reader_for(root / "seeds/x.txt", root)[0].kind == "seed"
    assert reader_for(root / "seeds/x.yml", root) is None
    assert reader_for(root / "content/x.md", root) is None  # no language folder
    assert reader_for(root / "seeds/sub/x.txt", root) is None


# ---- 6. permanent URLs -------------------------------------------------------------------
STORY = "---\ntitle: {title}\ndate: 2024-01-11\n{extra}---\nText.\n"


def test_headline_edit_keeps_the_url_and_slug_edit_leaves_a_redirect(tmp_path):
    root = make_site(
        tmp_path / "site", {"content/en/story.md": STORY.format(title="First headline", extra="")}
    )
    report, out = build(root)
    first = report.site.articles["en"][0].path
    assert first == "en/articles/first-headline/index.html"
    register = (root / "permalinks.tsv").read_text(encoding="utf-8")
    assert "en/story\ten\tfirst-headline\n" in register
    # A corrected headline: same URL.
    (root / "content/en/story.md").write_text(
        STORY.format(title="Corrected headline", extra=""), encoding="utf-8"
    )
    report, out = build(root)
    assert report.site.articles["en"][0].path == first
    assert page(out, first).xpath("//h1")[0].text_content() == "Corrected headline"
    # An explicit slug moves it and leaves a redirect at the old address.
    (root / "content/en/story.md").write_text(
        STORY.format(title="Corrected headline", extra="slug: moved\n"), encoding="utf-8"
    )
    report, out = build(root)
    assert report.site.articles["en"][0].path == "en/articles/moved/index.html"
    old = page(out, first)
    assert old.xpath("//link[@rel='canonical']/@href") == ["https://example.org/en/articles/moved/"]
    assert old.xpath("//meta[@http-equiv='refresh']/@content") == ["0; url=/en/articles/moved/"]
    assert "first-headline" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "en/story\ten\tmoved\tfirst-headline\n" in (root / "permalinks.tsv").read_text(encoding="utf-8")
    # A new story with the old headline does not take the old address.
    (root / "content/en/other.md").write_text(
        STORY.format(title="First headline", extra=""), encoding="utf-8"
    )
    report, out = build(root)
    paths = {a.source_id: a.path for a in report.site.articles["en"]}
    assert paths["en/other"] == "en/articles/first-headline-2/index.html"
    # The clean build of the same folder (register included) is the same site.
    again, out2 = build(root, tmp_path / "clean")
    assert {a.path for a in again.site.articles["en"]} == set(paths.values())


def test_import_keeps_the_seed_url(tmp_path):
    from generator.importer import import_seeds
    from generator.config import load_config

    root = make_site(
        tmp_path / "site",
        {
            "seeds/wire.txt": "Wire headline\n\nWire headline\n\nThe story text.\n",
            "seeds/wire.yml": "lang: en\ndate: 2024-01-11\n",
        },
    )
    report, _ = build(root)
    before = report.site.articles["en"][0].path
    assert import_seeds([root / "seeds/wire.txt"], load_config(root)) == 0
    md = root / "content/en/wire.md"
    md.write_text(
        md.read_text(encoding="utf-8").replace("title: Wire headline", "title: Edited headline"),
        encoding="utf-8",
    )
    report, _ = build(root)
    [article] = report.site.articles["en"]
    assert article.record.kind == "markdown" and article.path == before


@pytest.mark.browser
def test_redirect_is_followed_in_chromium(tmp_path):
    from newsite import BrowserThread, reserve_server, start

    root = make_site(tmp_path / "site", {"content/en/story.md": STORY.format(title="Old name", extra="")})
    build(root)
    (root / "content/en/story.md").write_text(
        STORY.format(title="Old name", extra="slug: new-name\n"), encoding="utf-8"
    )
    server, port, _ = reserve_server()
    _, out = build(root, base_url=f"http://127.0.0.1:{port}/")
    start(server, out)
    browser = BrowserThread()
    try:

        def visit(b):
            p = b.new_page()
            p.goto(f"http://127.0.0.1:{port}/en/articles/old-name/")
            p.wait_for_url("**/en/articles/new-name/", timeout=10_000)
            return p.url, p.locator("h1").inner_text()

        url, heading = browser.run(visit)
    finally:
        browser.close()
        server.shutdown()
    assert url.endswith("/en/articles/new-name/") and heading == "Old name"


# ---- 7. cache on content ------------------------------------------------------------------
def test_a_fresh_clone_reuses_cached_records(tmp_path, monkeypatch):
    import generator.pipeline as pipeline
    from generator.config import load_config
    from generator.pipeline import build_site

    root = make_site(
        tmp_path / "site",
        {f"content/en/s{i}.md": STORY.format(title=f"Story {i}", extra="") for i in range(5)},
    )
    cache_dir = tmp_path / "cache"
    build_site(load_config(root), root / "public", today=TODAY, cache_dir=cache_dir)
    clone = tmp_path / "clone"
    shutil.copytree(root, clone, copy_function=shutil.copy)  # new inodes and times
    time.sleep(0.01)
    for path in (clone / "content/en").iterdir():
        path.touch()
    reads = []
    real = pipeline._read_one
    monkeypatch.setattr(
        pipeline, "_read_one", lambda source, **kw: reads.append(source) or real(source, **kw)
    )
    shutil.copytree(cache_dir, tmp_path / "cache2")
    # The records are keyed on the content: moving the cache with the clone is enough.
    assert list((tmp_path / "cache2").glob("records-*.pickle"))
    report = build_site(load_config(clone), clone / "public", today=TODAY, cache_dir=tmp_path / "cache2")
    assert reads == [] and report.articles == 5
    (clone / "content/en/s0.md").write_text(STORY.format(title="Changed", extra=""), encoding="utf-8")
    report = build_site(load_config(clone), clone / "public", today=TODAY, cache_dir=tmp_path / "cache2")
    assert [s.path.name for s in reads] == ["s0.md"]


def test_a_front_page_has_a_lead_story_section_blocks_and_the_latest(demo_site):
    """Page 1 of a language's home: its lead (the newest story flagged ``top``), a block per
    section with that section's newest stories other than the lead (each heading linking to
    its section page), then the other stories under "latest"; the lead is shown once."""
    report, out = demo_site
    doc = page(out, "ar/index.html")
    articles = report.site.articles["ar"]
    [top] = [a for a in articles if a.record.top]
    assert top is not articles[0]  # the demo's top story is not its newest
    lead = doc.xpath("//article[contains(@class, 'lead-story')]//h2[@class='card-title']/a")
    assert [a.text_content() for a in lead] == [top.title]
    blocks = doc.xpath("//section[@class='section-block']")
    sections = report.site.terms["sections"]["ar"]
    assert len(blocks) == sum(1 for t in sections if any(a is not top for a in t.articles))
    for block in blocks:
        name = block.xpath("string(.//h2/a)")
        term = next(t for t in sections if t.name == name)
        assert block.xpath(".//h2/a/@href")[0].endswith(f"/ar/sections/{term.slug}/")
        expected = [a.title for a in term.articles if a is not top][:3]
        assert [a.text_content() for a in block.xpath(".//li/a")] == expected
    latest = doc.xpath("//h2[@class='latest-heading']/following::h2[@class='card-title']/a")
    assert [a.text_content() for a in latest] == [a.title for a in articles if a is not top][:10]


def test_a_section_front_leads_with_its_newest_story(demo_site):
    report, out = demo_site
    for term in report.site.terms["sections"]["ar"]:
        doc = page(out, f"ar/sections/{term.slug}/index.html")
        lead = doc.xpath("//article[contains(@class, 'lead-story')]//h2[@class='card-title']/a")
        assert [a.text_content() for a in lead] == [term.articles[0].title]
        cards = doc.xpath("//main//h2[@class='card-title']/a")
        assert [a.text_content() for a in cards] == [a.title for a in term.articles[:10]]
    tag = report.site.terms["tags"]["ar"][0]  # a tag page stays a plain river
    assert not page(out, f"ar/tags/{tag.slug}/index.html").xpath("//article[contains(@class, 'lead-story')]")
