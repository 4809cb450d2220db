"""sitemap.xml, the sitemap index for big sites, and robots.txt."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.config import load_config
from generator.sitemap import SITEMAP_NS, XHTML_NS, SitemapEntry, sitemap_outputs
from generator.urls import Urls
from newsite import SEED_LOC_PATH

NS = {"s": SITEMAP_NS, "x": XHTML_NS}


def test_sitemap_structure_and_urls(news_site):
    _, out, base = news_site
    root = etree.parse(str(out / "sitemap.xml")).getroot()
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    assert root.nsmap == {None: SITEMAP_NS, "xhtml": XHTML_NS}
    locs = root.xpath("s:url/s:loc/text()", namespaces=NS)
    assert len(locs) == len(set(locs)) > 50
    hrefs = root.xpath("s:url/x:link/@href", namespaces=NS)
    for url in locs + hrefs:
        assert url.startswith(base), url
        assert urlsplit(url).scheme == "https"
    # Every listed page exists in the output, and no 404 or search page is listed.
    for url in locs:
        rel = url[len(base) :]
        target = out / unquote(rel) / "index.html" if (not rel or rel.endswith("/")) else out / unquote(rel)
        assert target.exists(), url
        assert "404" not in url and "/search/" not in url
    for child in root:
        lastmod = child.findtext(f"{{{SITEMAP_NS}}}lastmod")
        if lastmod:
            dt.date.fromisoformat(lastmod)


def test_translations_have_hreflang_alternates_and_x_default(news_site):
    _, out, base = news_site
    root = etree.parse(str(out / "sitemap.xml")).getroot()
    url = root.xpath("s:url[s:loc=$loc]", namespaces=NS, loc=f"{base}{SEED_LOC_PATH}")
    assert len(url) == 1
    links = {link.get("hreflang"): link.get("href") for link in url[0].xpath("x:link", namespaces=NS)}
    assert set(links) == {"ar", "ckb", "en", "fa", "fr", "ps", "ur", "x-default"}
    assert links["ar"] == links["x-default"] == f"{base}{SEED_LOC_PATH}"
    assert url[0].findtext(f"{{{SITEMAP_NS}}}lastmod") == "2022-01-11"
    # Alternates are reciprocal: the English page lists the Arabic one.
    en = root.xpath("s:url[s:loc=$loc]", namespaces=NS, loc=links["en"])[0]
    assert f"{base}{SEED_LOC_PATH}" in en.xpath("x:link/@href", namespaces=NS)


def test_robots_txt_points_at_the_sitemap(news_site):
    _, out, base = news_site
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {base}sitemap.xml" in robots.splitlines()
    assert "User-agent: *" in robots


def test_sitemap_index_above_the_threshold(tmp_path):
    config = load_config(tmp_path, base_url="https://example.org/news/")
    urls = Urls(config)
    entries = [
        SitemapEntry(path=urls.article("en", f"a{n}"), lastmod=dt.date(2024, 1, 1 + n).isoformat())
        for n in range(7)
    ]
    files = dict(sitemap_outputs(entries, urls, max_urls=3))
    assert sorted(files) == [
        "robots.txt",
        "sitemap.xml",
        "sitemaps/sitemap-1.xml",
        "sitemaps/sitemap-2.xml",
        "sitemaps/sitemap-3.xml",
    ]
    index = etree.fromstring(files["sitemap.xml"])
    assert index.tag == f"{{{SITEMAP_NS}}}sitemapindex"
    assert index.xpath("s:sitemap/s:loc/text()", namespaces=NS) == [
        f"https://example.org/news/sitemaps/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    assert index.xpath("s:sitemap/s:lastmod/text()", namespaces=NS) == [
        "2024-01-03",
        "2024-01-06",
        "2024-01-07",
    ]
    seen = []
    for n in (1, 2, 3):
        part = etree.fromstring(files[f"sitemaps/sitemap-{n}.xml"])
        locs = part.xpath("s:url/s:loc/text()", namespaces=NS)
        assert 1 <= len(locs) <= 3
        seen += locs
    assert seen == [urls.absolute(e.path) for e in entries]
    at_limit = dict(sitemap_outputs(entries[:3], urls, max_urls=3))
    assert etree.fromstring(at_limit["sitemap.xml"]).tag == f"{{{SITEMAP_NS}}}urlset"


def test_sitemap_is_deterministic(tmp_path):
    config = load_config(tmp_path, base_url="https://example.org/")
    urls = Urls(config)
    entries = [
        SitemapEntry(path="index.html"),
        SitemapEntry(
            path=urls.home("en"),
            lastmod="2020-02-02",
            alternates=(("en", "en/index.html"), ("fr", "fr/index.html")),
            x_default="en/index.html",
        ),
    ]
    assert dict(sitemap_outputs(entries, urls)) == dict(sitemap_outputs(list(entries), urls))


def test_every_hreflang_cluster_names_one_x_default_and_the_chooser_is_in_it(news_site):
    """All pages of one cluster name the same x-default, whichever languages the cluster has
    (a cluster without the default language picks its first member in the configured order);
    the language homes' x-default is the root language chooser, which names them all."""
    from collections import defaultdict

    import lxml.html

    _, out, base = news_site
    clusters: dict[frozenset, set] = defaultdict(set)
    without_default = 0
    for path in out.rglob("*.html"):
        doc = lxml.html.fromstring(path.read_bytes())
        links = {a.get("hreflang"): a.get("href") for a in doc.xpath("//link[@rel='alternate'][@hreflang]")}
        if not links:
            continue
        members = frozenset((k, v) for k, v in links.items() if k != "x-default")
        clusters[members].add(links.get("x-default"))
        without_default += "ar" not in links
    assert without_default > 0  # the demo has clusters without an Arabic member
    assert all(len(x) == 1 and None not in x for x in clusters.values()), [
        (sorted(k), v) for k, v in clusters.items() if len(v) != 1
    ][:3]
    root = lxml.html.fromstring((out / "index.html").read_bytes())
    assert root.xpath("//link[@hreflang='x-default']/@href") == [base]
    fa_home = lxml.html.fromstring((out / "fa/index.html").read_bytes())
    assert fa_home.xpath("//link[@hreflang='x-default']/@href") == [base]


def _lxml_urlset(entries, urls: Urls) -> bytes:
    """The sitemap as lxml serialises the same tree: the oracle for the text writer."""
    from generator.feeds import xml_text

    s, x = f"{{{SITEMAP_NS}}}", f"{{{XHTML_NS}}}"
    root = etree.Element(s + "urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})
    for entry in entries:
        url = etree.SubElement(root, s + "url")
        etree.SubElement(url, s + "loc").text = xml_text(urls.absolute(entry.path))
        if entry.lastmod:
            etree.SubElement(url, s + "lastmod").text = entry.lastmod
        if len(entry.alternates) > 1:
            for lang, path in entry.alternates:
                etree.SubElement(
                    url, x + "link", rel="alternate", hreflang=lang, href=xml_text(urls.absolute(path))
                )
            if entry.x_default:
                etree.SubElement(
                    url,
                    x + "link",
                    rel="alternate",
                    hreflang="x-default",
                    href=xml_text(urls.absolute(entry.x_default)),
                )
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


class _RawUrls:
    """Absolute 'URLs' that are the paths themselves, so the escaping of any text is tested."""

    def absolute(self, path: str) -> str:
        return "https://example.org/" + path


_paths = st.text(min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(
            SitemapEntry,
            path=_paths,
            alternates=st.lists(
                st.tuples(st.sampled_from(["ar", "en", "ckb", 'x"<&>\t']), _paths), max_size=3
            ).map(tuple),
            x_default=st.none() | _paths,
            lastmod=st.none() | st.dates().map(dt.date.isoformat),
        ),
        max_size=6,
    )
)
def test_sitemap_text_writer_gives_lxml_bytes(entries):
    from generator.sitemap import _urlset

    assert _urlset(entries, _RawUrls()) == _lxml_urlset(entries, _RawUrls())


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 600),
    st.randoms(use_true_random=False),
    st.lists(st.tuples(st.sampled_from(["add", "drop", "redate"]), st.integers(0, 10**6)), max_size=4),
)
def test_sitemap_lines_kept_between_builds_give_the_same_bytes(size, rng, edits):
    """A sitemap made with the runs of entries an earlier sitemap wrote (``SitemapLines``) is
    the sitemap made from nothing, after any edits of the entries; and a page added to a big
    sitemap makes one run again, not every run after it."""
    from generator.sitemap import SitemapLines, _urlset

    def entry(n: int, day: int = 1) -> tuple:
        path = f"ar/articles/{n}/index.html"
        return (path, (("ar", path), ("en", f"en/articles/{n}/index.html")), path, f"2026-01-{day:02d}")

    entries = [entry(n) for n in rng.sample(range(1000), size)]
    kept = SitemapLines({})
    assert _urlset(entries, _RawUrls(), kept) == _urlset(entries, _RawUrls())
    for operation, seed in edits:
        place = seed % (len(entries) + 1)
        if operation == "add":
            entries.insert(place, entry(1000 + seed % 9000))
        elif operation == "drop" and entries:
            entries.pop(place % len(entries))
        elif entries:
            entries[place % len(entries)] = entry(int(entries[place % len(entries)][0].split("/")[2]), 2)
        again = SitemapLines(kept.used)
        made = []
        again.put = lambda key, text, put=again.put: made.append(key) or put(key, text)
        assert _urlset(entries, _RawUrls(), again) == _urlset(entries, _RawUrls())
        assert len(made) <= 2  # the run the edit fell in (and the one a new boundary split off)
        kept = again
