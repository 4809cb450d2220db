"""A build of the demo site: the page set, and what the seed's page must show."""

from __future__ import annotations

import urllib.parse

import json

import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import REPO, build, copy_site

SEED = "seeds/000_92923d39de616abf.txt"


class Page(HTMLParser):
    """Just enough structure: html attributes, elements by tag, links, text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html_attrs: dict[str, str] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.text_parts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_attrs = attrs
        self.tags.setdefault(tag, []).append(attrs)

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def links(self) -> list[str]:
        return [a.get("href", "") for a in self.tags.get("a", [])]


def page(out: Path, rel: str) -> Page:
    return Page((out / rel).read_text(encoding="utf-8"))


def seed_article(report):
    arts = [a for a in report.site.articles["ar"] if a.record.path == SEED]
    assert arts, f"the seed {SEED} was not built: {report.problems}"
    return arts[0]


def test_demo_build_is_clean(demo_site):
    report, out = demo_site
    assert report.problems == [], report.problems
    assert report.articles >= 10
    assert (out / "index.html").is_file()


def test_every_language_has_home_tags_archive_and_404(demo_site):
    report, out = demo_site
    fonts = {"ar": "naskh", "fa": "persian", "ur": "nastaliq", "en": "latin", "fr": "latin"}
    for lang, direction in (("ar", "rtl"), ("fa", "rtl"), ("ur", "rtl"), ("en", "ltr"), ("fr", "ltr")):
        for rel in ("index.html", "tags/index.html", "archive/index.html", "404.html"):
            p = page(out, f"{lang}/{rel}")
            want = {"lang": lang, "dir": direction, "data-font": fonts[lang]}
            assert p.html_attrs == want, (lang, rel, p.html_attrs)


def test_root_page_offers_every_language(demo_site):
    _, out = demo_site
    links = page(out, "index.html").links()
    for lang in ("ar", "fa", "ur", "en", "fr"):
        assert f"/{lang}/" in links


def test_seed_page_has_rtl_title_and_both_dates(demo_site):
    report, out = demo_site
    article = seed_article(report)
    p = page(out, article.path)
    assert p.html_attrs == {"lang": "ar", "dir": "rtl", "data-font": "naskh"}
    assert len(p.tags["h1"]) == 1
    assert [t.get("datetime") for t in p.tags["time"]] == ["2022-01-11"]
    assert "كانون الثاني" in p.text and "2022" in p.text
    assert "8 جمادى الآخرة 1443" in p.text
    assert "(تستمر)" not in p.text and "أفكارك وتعليقاتك" not in p.text
    assert article.title in p.text and p.text.count(article.title) <= 3


def test_seed_links_to_its_translations(demo_site):
    report, out = demo_site
    article = seed_article(report)
    p = page(out, article.path)
    hreflangs = {link.get("hreflang") for link in p.tags["link"] if link.get("rel") == "alternate"}
    assert {"ar", "en", "fr", "fa", "ur", "x-default"} <= hreflangs
    en = [a for a in report.site.articles["en"] if a.translation_group == article.translation_group][0]
    assert "/" + en.path.removesuffix("index.html") in p.links()


def test_tag_pages_link_back_to_their_articles(demo_site):
    report, out = demo_site
    checked = 0
    for lang, tags in report.site.tags.items():
        for tag in tags:
            tag_page = page(out, f"{lang}/tags/{tag.slug}/index.html")
            links = [urllib.parse.unquote(link) for link in tag_page.links()]
            for article in tag.articles[:10]:
                assert "/" + article.path.removesuffix("index.html") in links
                checked += 1
    assert checked > 20


def test_tag_index_counts_and_alphabetical_order(demo_site):
    report, out = demo_site
    import icu

    text = (out / "ar/tags/index.html").read_text(encoding="utf-8")
    names = re.findall(r'<a href="[^"]+/tags/[^"]+/" dir="auto">([^<]+)</a>', text)
    assert names and len(names) == len(report.site.tags["ar"])
    collator = icu.Collator.createInstance(icu.Locale("ar"))
    assert names == sorted(names, key=collator.getSortKey)
    assert "كازاخستان" in names


def test_only_logical_css_properties():
    css = (REPO / "static/css/site.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.search(
        r"(?<![-\w])(left|right)\s*:|(margin|padding|border)-(left|right)|text-align:\s*(left|right)|float:\s*(left|right)",
        css,
    )


def test_failed_input_is_named_and_others_still_build(tmp_path):
    root = copy_site(tmp_path / "site")
    bad = root / "content/en/broken.md"
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    report, out = build(root)
    assert any("content/en/broken.md" in p and "YAML" in p for p in report.problems)
    assert report.exit_code == 1
    assert (out / "en/index.html").is_file()
    assert report.articles >= 10


def test_exit_status_warnings_are_not_failures_unless_strict(tmp_path):
    """0 built (warnings listed), 1 built with skipped inputs, 2 fatal; ``--strict`` makes a
    warning a failure. A future story held back, as Hugo does by default, must not fail a
    deploy step."""
    import subprocess
    import sys

    root = copy_site(tmp_path / "site")
    (root / "content/en/next-year.md").write_text(
        "---\ntitle: Next year\ndate: 2999-01-01\n---\n\nLater.\n", encoding="utf-8"
    )

    def run(*args):
        return subprocess.run(
            [sys.executable, str(REPO / "build.py"), "--root", str(root), "--no-cache", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    plain = run()
    assert plain.returncode == 0, plain.stderr
    assert "warning: content/en/next-year.md" in plain.stderr and "held back" in plain.stderr
    strict = run("--strict")
    assert strict.returncode == 1 and "warning: content/en/next-year.md" in strict.stderr
    assert run("build", "--strict").returncode == 1  # after the command too
    (root / "content/en/broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    skipped = run()
    assert skipped.returncode == 1 and "error: content/en/broken.md" in skipped.stderr
    # --json: the same outcome and every diagnostic, structured, on stdout for CI
    as_json = run("--json")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == report["status"] == 1
    by_file = {d["file"]: d for d in report["diagnostics"]}
    assert by_file["content/en/broken.md"]["level"] == "error"
    held = by_file["content/en/next-year.md"]
    assert (held["level"], held["field"]) == ("warning", "date") and "held back" in held["message"]
    assert not as_json.stderr.strip().startswith(("error", "warning"))
    (root / "site.toml").write_text("page_size = 'ten'\n", encoding="utf-8")
    assert run().returncode == 2
    fatal = run("--json")
    report = json.loads(fatal.stdout)
    assert fatal.returncode == report["status"] == 2
    [only] = report["diagnostics"]
    assert (only["level"], only["field"]) == ("fatal", "page_size")
    assert only["file"].endswith("site.toml") and "expected a whole number" in only["message"]


def test_article_pages_show_a_correction_time_and_share_links_without_scripts(demo_site):
    import html as html_module
    import re
    import urllib.parse

    report, out = demo_site
    corrected = [a for a in report.site.articles["ar"] if a.record.updated]
    assert corrected, "the demo has a corrected story"
    page = (out / corrected[0].path).read_text(encoding="utf-8")
    updated = re.search(r'<p class="updated">(.*?)</p>', page, re.S)
    assert updated and "آخر تحديث:" in updated.group(1)
    assert f"{corrected[0].record.updated:%H:%M}" in updated.group(1)
    never = next(a for a in report.site.articles["en"] if not a.record.updated)
    plain = (out / never.path).read_text(encoding="utf-8")
    assert '<p class="updated">' not in plain  # never corrected: no line
    share = re.search(r'<nav class="share"[^>]*>(.*?)</nav>', page, re.S).group(1)
    links = [html_module.unescape(h) for h in re.findall(r'href="([^"]+)"', share)]
    hosts = [urllib.parse.urlsplit(link).netloc or urllib.parse.urlsplit(link).scheme for link in links]
    assert hosts == ["x.com", "www.facebook.com", "wa.me", "t.me", "mailto"]
    quoted = urllib.parse.quote(corrected[0].title)
    assert all(quoted in link or urllib.parse.quote_plus(corrected[0].title) in link for link in links[::2])
    assert "<script" not in share


def test_every_page_names_the_icon_and_the_web_manifest(demo_site):
    import json

    _, out = demo_site
    manifest = json.loads((out / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl" and manifest["start_url"].endswith("/ar/")
    icon = manifest["icons"][0]["src"]
    assert (out / icon.lstrip("/")).read_text(encoding="utf-8").startswith("<svg")
    for page in (out / "fa/index.html", out / "en/index.html"):
        text = page.read_text(encoding="utf-8")
        assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in text
