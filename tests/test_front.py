"""The newsroom's page furniture: a front page led by the story flagged ``top``, section
blocks and the header's section links in the configured order, a breaking-news banner that
the build's clock takes down, and author pages with the profile from ``content/authors``."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import TODAY

PIL = pytest.importorskip("PIL", reason="Pillow is not installed (pip install -r requirements.txt)")
from PIL import Image as PILImage  # noqa: E402

UTC = dt.timezone.utc

SITE = """base_url = "https://example.org/"
timezone = "UTC"
breaking_hours = 6

[languages.ar]
locale = "ar"
title = "صحيفة"
calendars = ["gregorian"]

[taxonomies.sections]
fields = ["section"]
order = ["economy", "سياسة"]

[taxonomies.authors]
fields = ["author"]
profiles = "authors"

[term_translations]
economy = { ar = "اقتصاد" }
"""

STORIES = {
    # slug: (date, section, author, extra front matter)
    "summit": ("2025-06-01 10:00", "سياسة", "رنا الخطيب", "top: true\n"),
    "budget": ("2025-06-03 09:00", "اقتصاد", "سامر حداد", "breaking: true\n"),
    "prices": ("2025-06-02 08:00", "اقتصاد", "سامر حداد", ""),
    "match": ("2025-06-02 20:00", "رياضة", "سامر حداد", ""),
    "final": ("2025-05-30 20:00", "رياضة", "سامر حداد", ""),
    "league": ("2025-05-29 20:00", "رياضة", "سامر حداد", ""),
}


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    (root / "content/ar").mkdir(parents=True)
    (root / "content/authors").mkdir()
    (root / "site.toml").write_text(SITE, encoding="utf-8")
    for slug, (date, section, author, extra) in STORIES.items():
        (root / f"content/ar/{slug}.md").write_text(
            f"---\ntitle: خبر {slug}\ndate: {date}\nsection: {section}\nauthor: {author}\n{extra}---\n\nنص.\n",
            encoding="utf-8",
        )
    (root / "content/authors/rana.yml").write_text(
        "name: {ar: رنا الخطيب}\nbio: {ar: تغطي رنا الشؤون السياسية من عمّان.}\nphoto: rana.png\n"
        "photo_alt: {ar: صورة رنا الخطيب}\n",
        encoding="utf-8",
    )
    out = io.BytesIO()
    PILImage.new("RGB", (400, 400), (90, 60, 40)).save(out, "PNG")
    (root / "content/authors/rana.png").write_bytes(out.getvalue())
    return root


def build(root: Path, now: dt.datetime):
    from generator.config import load_config
    from generator.pipeline import build_site

    out = root.parent / f"out-{now:%H%M}"
    report = build_site(load_config(root), out, today=TODAY, now=now)
    return report, out


def page(out: Path, rel: str):
    return lxml_html.fromstring((out / rel).read_bytes())


def titles(elements) -> list[str]:
    return [e.text_content().strip().removeprefix("خبر ") for e in elements]


def test_the_front_page_leads_with_the_top_story_then_sections_in_the_configured_order(site):
    report, out = build(site, dt.datetime(2025, 6, 3, 20, 0, tzinfo=UTC))
    assert not report.problems, report.problems
    doc = page(out, "ar/index.html")
    lead = doc.xpath("//article[contains(@class, 'lead-story')]//h2/a")
    assert titles(lead) == ["summit"]  # flagged top: it leads though "budget" is newer
    blocks = doc.xpath("//section[@class='section-block']")
    # Configured order (by term-translation id, then by name), then the others by size; the
    # lead is not repeated in its section's block (so politics, with only the lead, has none).
    assert [b.xpath("string(.//h2/a)") for b in blocks] == ["اقتصاد", "رياضة"]
    assert titles(blocks[0].xpath(".//li/a")) == ["budget", "prices"]
    # The header's section links follow the same order (the lead does not change it).
    nav = doc.xpath("//header//nav//a[contains(@href, '/sections/')]")
    assert [a.text_content() for a in nav] == ["اقتصاد", "سياسة", "رياضة"]
    latest = doc.xpath("//h2[@class='latest-heading']/following::h2[@class='card-title']/a")
    assert titles(latest) == ["budget", "match", "prices", "final", "league"]


def test_the_breaking_banner_shows_until_the_configured_hours_have_passed(site):
    report, out = build(site, dt.datetime(2025, 6, 3, 12, 0, tzinfo=UTC))  # 3 hours after
    banner = page(out, "ar/index.html").xpath("//aside[@class='breaking']")
    assert len(banner) == 1 and titles(banner[0].xpath(".//li/a")) == ["budget"]
    assert banner[0].get("aria-labelledby") and banner[0].xpath("string(.//strong)") == "عاجل"
    report, out = build(site, dt.datetime(2025, 6, 3, 15, 30, tzinfo=UTC))  # 6.5 hours after
    assert not page(out, "ar/index.html").xpath("//aside[@class='breaking']")
    # Only the front page carries it.
    report, out = build(site, dt.datetime(2025, 6, 3, 10, 0, tzinfo=UTC))
    assert page(out, "ar/index.html").xpath("//aside[@class='breaking']")
    story = next(a for a in report.site.articles["ar"] if a.record.path.endswith("budget.md"))
    assert not page(out, story.path).xpath("//aside[@class='breaking']")


@pytest.mark.parametrize("breaking", [("budget",), ("budget", "match", "final", "league")])
def test_banners_and_their_end_are_those_every_story_gives(site, breaking):
    """The planner looks at the newest stories only (up to the first whose banner would be
    down): what it finds is what asking every story finds, at any clock."""
    from generator.config import load_config
    from generator.pages import PagePlanner

    for slug in breaking:
        path = site / f"content/ar/{slug}.md"
        text = path.read_text(encoding="utf-8")
        if "breaking: true" not in text:
            path.write_text(text.replace("---\n\n", "breaking: true\n---\n\n", 1), encoding="utf-8")
    report, _ = build(site, dt.datetime(2025, 6, 3, 20, 0, tzinfo=UTC))
    config = load_config(site)
    stories = report.site.articles["ar"]
    assert sum(a.record.breaking for a in stories) == len(breaking)
    start = dt.datetime(2025, 5, 29, 12, 0, tzinfo=UTC)
    shown = set()
    for quarter in range(0, 4 * 24 * 6, 5):  # every 75 minutes over six days, on and off the hour
        now = start + dt.timedelta(minutes=15 * quarter)
        planner = PagePlanner(report.site, config, now=now)
        every = [a for a in stories if planner.banner_end(a) is not None]
        assert list(planner.breaking("ar")) == every, now
        assert planner.expires == min((planner.banner_end(a) for a in every), default=None), now
        shown.add(len(every))
    assert shown >= {0, 1}  # clocks with banners and clocks without


def test_a_banner_in_the_hour_the_clocks_go_back_is_shown(tmp_path):
    """Stories are ordered by the instant; the banners are looked for among the newest by the
    instant too: a story of the second pass through the repeated hour (Berlin, 25 October
    2026) is newer than one of the first pass whose clock reads later."""
    from generator.config import load_config
    from generator.pages import PagePlanner

    root = tmp_path / "site"
    (root / "content/ar").mkdir(parents=True)
    (root / "site.toml").write_text(
        SITE.replace('timezone = "UTC"', 'timezone = "Europe/Berlin"'), encoding="utf-8"
    )
    for slug, date, extra in (
        ("first-pass", "2026-10-25T02:30:00+02:00", "breaking: true\n"),
        ("second-pass", "2026-10-25T02:10:00+01:00", ""),
    ):
        (root / f"content/ar/{slug}.md").write_text(
            f"---\ntitle: خبر {slug}\ndate: {date}\nsection: سياسة\n{extra}---\n\nنص.\n", encoding="utf-8"
        )
    from zoneinfo import ZoneInfo

    now = dt.datetime(2026, 10, 25, 8, 20, tzinfo=ZoneInfo("Europe/Berlin"))  # as the build's clock
    report, _ = build(root, now)
    stories = report.site.articles["ar"]
    assert [a.record.path.rsplit("/", 1)[-1] for a in stories] == ["second-pass.md", "first-pass.md"]
    planner = PagePlanner(report.site, load_config(root), now=now)
    assert [a.record.path.rsplit("/", 1)[-1] for a in planner.breaking("ar")] == ["first-pass.md"]
    assert planner.expires is not None


def test_an_author_page_shows_the_profile_and_bylines_link_to_it(site):
    report, out = build(site, dt.datetime(2025, 6, 3, 20, 0, tzinfo=UTC))
    story = next(a for a in report.site.articles["ar"] if a.record.path.endswith("summit.md"))
    doc = page(out, story.path)
    [byline] = doc.xpath("//article//a[@rel='author']")
    assert byline.text_content() == "رنا الخطيب"
    href = byline.get("href")
    assert "/ar/authors/" in href
    author = page(out, href.removeprefix("/") + "index.html")
    [profile] = author.xpath("//header[@class='profile']")
    assert profile.xpath("string(.//h1)") == "رنا الخطيب"
    assert profile.xpath("string(.//p[@class='bio'])") == "تغطي رنا الشؤون السياسية من عمّان."
    [photo] = profile.xpath(".//img")
    assert photo.get("alt") == "صورة رنا الخطيب" and photo.get("width") == "400"
    assert titles(author.xpath("//main//h2[@class='card-title']/a")) == ["summit"]
    # An author without a profile file still has a page, with the name as its heading.
    other = next(a for a in report.site.articles["ar"] if a.record.path.endswith("budget.md"))
    [link] = page(out, other.path).xpath("//article//a[@rel='author']")
    plain = page(out, link.get("href").removeprefix("/") + "index.html")
    assert not plain.xpath("//header[@class='profile']")
    assert plain.xpath("string(//main//h1)") == "سامر حداد"


def test_a_broken_profile_is_a_warning_naming_the_file(site):
    (site / "content/authors/broken.yml").write_text("name: [unclosed\n", encoding="utf-8")
    report, out = build(site, dt.datetime(2025, 6, 3, 20, 0, tzinfo=UTC))
    assert not report.problems
    assert any("content/authors/broken.yml" in n for n in report.notices), report.notices
    assert len(report.site.articles["ar"]) == len(STORIES)


@pytest.mark.parametrize(
    "text",
    [
        "name: !!timestamp 2022-02-31\n",
        "name: !!int 'x'\n",
        "name: " + "[" * 5000 + "\n",
        "- a list\n",
        "&a [*a]\n",
    ],
)
def test_a_profile_with_bad_yaml_is_a_warning(site, text):
    (site / "content/authors/odd.yml").write_text(text, encoding="utf-8")
    report, out = build(site, dt.datetime(2025, 6, 3, 20, 0, tzinfo=UTC))
    assert not report.problems
    assert any("content/authors/odd.yml" in n for n in report.notices), report.notices
