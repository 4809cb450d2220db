"""``python build.py fetch`` against a local server (tests/feedserver.py): new stories become
seeds and pages, a second fetch is conditional, copies collapse, editors' changes survive,
every fault is one error, and a fetch killed at any moment leaves a consistent state."""

from __future__ import annotations

import html
import json
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from feedserver import FeedServer

from conftest import REPO, build
from generator.config import load_config
from generator.fetch import run_fetch, state_path
from generator.feedstore import KILL_ENV, FeedStore, seed_digest

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

AR = "الحكومة المدينة الوزير المشروع المياه الطريق المجلس الاقتصاد البنك السوق الشباب المدرسة المستشفى الميناء الكهرباء الزراعة القمح الأسعار الانتخابات البلدية المعرض الكتاب الجامعة الطلاب المطار الرحلات السياحة الفندق النفط الغاز".split()
EN = "council city minister project water road bank market youth school hospital port power farming wheat prices election museum library university students airport flights tourism hotel oil gas bridge river storm".split()
FA = "دولت شهر وزیر پروژه آب جاده شورا اقتصاد بانک بازار جوانان مدرسه بیمارستان بندر برق کشاورزی گندم قیمت انتخابات موزه کتابخانه دانشگاه دانشجویان فرودگاه پرواز گردشگری هتل نفت گاز پل".split()


def story(words: list[str], seed: int, paragraphs: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(paragraphs)]


def rss(items: list[dict], *, lang: str = "ar", title: str = "Feed") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{title}</title><link>https://outlet.example/</link><language>{lang}</language>",
    ]
    for item in items:
        out.append("<item>")
        if item.get("guid"):
            out.append(f'<guid isPermaLink="false">{item["guid"]}</guid>')
        out.append(f"<title>{html.escape(item['title'])}</title>")
        if item.get("link"):
            out.append(f"<link>{item['link']}</link>")
        if item.get("date", True):
            out.append(f"<pubDate>{item.get('pubdate', 'Tue, 01 Dec 2026 10:30:00 +0300')}</pubDate>")
        for category in item.get("categories", ()):
            out.append(f"<category>{category}</category>")
        if item.get("author"):
            out.append(f"<author>{item['author']}</author>")
        body = item.get("html") or "".join(f"<p>{html.escape(p)}</p>" for p in item.get("body", ()))
        if item.get("summary"):
            out.append(f"<description>{html.escape(item['summary'])}</description>")
        if body:
            out.append(f"<content:encoded><![CDATA[{body}]]></content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out)


def atom(items: list[dict], *, lang: str = "en") -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}"><title>Atom</title>',
        "<id>tag:outlet.example,2026:feed</id><updated>2026-12-01T10:00:00Z</updated>",
    ]
    for item in items:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in item["body"])
        out += [
            f"<entry><id>{item['guid']}</id><title>{html.escape(item['title'])}</title>",
            f'<link rel="alternate" href="{item["link"]}"/>',
            f"<published>{item.get('published', '2026-12-01T09:15:00+01:00')}</published>",
            "<updated>2026-12-01T09:15:00+01:00</updated>",
            f"<author><name>{item.get('author', 'Jane Roe')}</name></author>",
            f'<content type="html">{html.escape(body)}</content></entry>',
        ]
    out.append("</feed>")
    return "\n".join(out)


def json_feed(items: list[dict]) -> str:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON",
            "language": "fa",
            "items": [
                {
                    "id": item["guid"],
                    "url": item["link"],
                    "title": item["title"],
                    "content_html": "".join(f"<p>{html.escape(p)}</p>" for p in item["body"]),
                    "date_published": "2026-12-01T08:00:00+03:30",
                    "authors": [{"name": "مریم احمدی"}],
                    "tags": ["سیاست", "تهران"],
                }
                for item in items
            ],
        },
        ensure_ascii=False,
    )


def make_site(tmp_path: Path, feeds: list[dict], fetch: str = "") -> Path:
    from generator.scaffold import new_site

    root = tmp_path / "site"
    new_site(root, ["ar", "en", "fa"], "Test", build_command="build.py")
    tables = []
    for feed in feeds:
        lines = ["[[feeds]]"]
        for key, value in feed.items():
            if isinstance(value, dict):
                pairs = ", ".join(
                    f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}" for k, v in value.items()
                )
                lines.append(f"{key} = {{ {pairs} }}")
            else:
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        tables.append("\n".join(lines))
    settings = "[fetch]\nhost_delay = 0\ntimeout = 2\ndeadline = 3\nmax_mb = 5\n" + fetch
    with (root / "site.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + "\n\n".join(tables) + "\n\n" + settings)
    return root


def fetch(root: Path, *, now: datetime = NOW, **options):
    options.setdefault("force", True)
    options.setdefault("workers", 0)
    return run_fetch(load_config(root), clock=lambda: now, **options)


def seeds_of(root: Path) -> dict[str, dict]:
    """seed path (relative) -> sidecar fields, for every seed written under a feed folder."""
    found = {}
    for txt in sorted((root / "seeds").glob("*/*.txt")):
        side = txt.with_suffix(".yml")
        found[txt.relative_to(root / "seeds").as_posix()] = yaml.safe_load(side.read_text("utf-8"))
    return found


def outcome(report, name: str):
    return next(o for o in report.outcomes if o.name == name)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def test_new_stories_in_every_format_become_seeds_and_pages(tmp_path, server):
    ar = [
        {
            "guid": f"ar-{i}",
            "link": server.url(f"/ar/{i}.html"),
            "title": f"خبر عربي رقم {i} عن {AR[i]}",
            "body": story(AR, i),
            "categories": ["اقتصاد", "القمح"],
            "author": "reporter@outlet.example (سلمى حداد)",
        }
        for i in range(3)
    ]
    en = [
        {
            "guid": f"tag:en-{i}",
            "link": server.url(f"/en/{i}"),
            "title": f"English story {i}",
            "body": story(EN, 10 + i),
        }
        for i in range(2)
    ]
    fa = [
        {
            "guid": "fa-1",
            "link": server.url("/fa/1"),
            "title": "خبر فارسی درباره شورای شهر",
            "body": story(FA, 20),
        }
    ]
    server.route("/ar.xml", rss(ar))
    server.route("/en.atom", atom(en), content_type="application/atom+xml")
    server.route("/fa.json", json_feed(fa), content_type="application/feed+json")
    root = make_site(
        tmp_path,
        [
            {"url": server.url("/ar.xml"), "name": "Outlet AR", "categories": {"اقتصاد": "economy"}},
            {"url": server.url("/en.atom"), "name": "Outlet EN", "section": "world"},
            {"url": server.url("/fa.json"), "name": "Outlet FA", "lang": "fa"},
        ],
    )
    report = fetch(root)
    assert (report.new, report.failed) == (6, 0), report.outcomes
    seeds = seeds_of(root)
    assert len(seeds) == 6
    ar_side = next(s for s in seeds.values() if s["title"] == "خبر عربي رقم 0 عن الحكومة")
    assert ar_side["lang"] == "ar" and ar_side["source"] == ["Outlet AR"]
    assert ar_side["section"] == ["economy"] and ar_side["tags"] == ["القمح"]
    assert ar_side["author"] == ["سلمى حداد"]  # the name, never the e-mail address
    assert ar_side["date"] == "2026-12-01T10:30:00+03:00"  # the feed's own offset
    en_side = next(s for s in seeds.values() if s["title"] == "English story 1")
    assert en_side["lang"] == "en" and en_side["section"] == ["world"] and en_side["date"].endswith("+01:00")
    fa_side = next(s for s in seeds.values() if s["lang"] == "fa")
    assert fa_side["tags"] == ["سیاست", "تهران"]
    agent = server.requests("/ar.xml")[0].headers["user-agent"]
    assert agent.startswith("Sahifa/") and "https://example.org/" in agent
    assert server.requests("/robots.txt"), "robots.txt is read before the feeds"
    # ... and the seeds build into pages, one per story, in their languages.
    result, out = build(root)
    assert result.exit_code == 0 and not result.problems, result.problems
    pages = "".join(p.read_text("utf-8") for p in out.glob("*/articles/*/index.html"))
    for title in ("خبر عربي رقم 2 عن الوزير", "English story 0", "خبر فارسی درباره شورای شهر"):
        assert html.escape(title, quote=False) in pages


def test_a_second_fetch_is_conditional_and_writes_nothing(tmp_path, server):
    items = [
        {"guid": f"g{i}", "link": server.url(f"/s/{i}"), "title": f"قصة {i}", "body": story(AR, 30 + i)}
        for i in range(3)
    ]
    server.route("/etag.xml", rss(items), etag='"v1"')
    server.route("/lm.xml", rss(items[:1]), last_modified="Tue, 01 Dec 2026 08:00:00 GMT")
    root = make_site(
        tmp_path, [{"url": server.url("/etag.xml"), "name": "A"}, {"url": server.url("/lm.xml"), "name": "B"}]
    )
    first = fetch(root)
    assert first.new == 3  # the single item of B is one of A's (same GUID and link): one story
    before = {p: p.stat().st_mtime_ns for p in (root / "seeds").rglob("*")}
    server.reset_requests()
    second = fetch(root, now=NOW + timedelta(hours=1))
    assert (second.new, second.not_modified, second.failed) == (0, 2, 0)
    assert server.requests("/etag.xml")[0].headers["if-none-match"] == '"v1"'
    assert server.requests("/lm.xml")[0].headers["if-modified-since"] == "Tue, 01 Dec 2026 08:00:00 GMT"
    assert {p: p.stat().st_mtime_ns for p in (root / "seeds").rglob("*")} == before
    # Not due yet (min_interval) without --force: no request at all.
    server.reset_requests()
    third = fetch(root, now=NOW + timedelta(hours=1, minutes=5), force=False)
    assert third.due == 0 and not server.requests("/etag.xml")


def test_copies_of_one_story_collapse_into_one_with_every_outlet(tmp_path, server):
    body = story(AR, 40, paragraphs=6)
    wire = [{"guid": "wire-1", "link": server.url("/wire/1"), "title": "عنوان الوكالة", "body": body}]
    daily = [
        {
            "guid": "daily-9",
            "link": server.url("/daily/9"),
            "title": "عنوان آخر للصحيفة",
            "body": [*body, "وكانت الصحيفة قد نشرت تقريرا سابقا عن الموضوع نفسه الأسبوع الماضي."],
        },
        {"guid": "daily-10", "link": server.url("/daily/10"), "title": "قصة مختلفة", "body": story(AR, 41)},
    ]
    same_link = [
        {
            "guid": "other-guid",
            "link": server.url("/wire/1"),
            "title": "رابط الوكالة نفسه",
            "body": story(AR, 42),
        }
    ]
    server.route("/wire.xml", rss(wire))
    server.route("/daily.xml", rss(daily))
    server.route("/agg.xml", rss(same_link))
    root = make_site(
        tmp_path,
        [
            {"url": server.url("/wire.xml"), "name": "الوكالة"},
            {"url": server.url("/daily.xml"), "name": "الصحيفة"},
            {"url": server.url("/agg.xml"), "name": "المجمع"},
        ],
        fetch="concurrency = 1\nper_host = 1\n",
    )
    report = fetch(root)
    seeds = seeds_of(root)
    assert report.new == 2 and len(seeds) == 2, seeds
    (kept,) = [s for s in seeds.values() if s["title"] != "قصة مختلفة"]
    assert set(kept["source"]) == {"الوكالة", "الصحيفة", "المجمع"}
    # Stable as more copies arrive: a fetch later changes nothing.
    again = fetch(root, now=NOW + timedelta(hours=2))
    assert again.new == 0 and seeds_of(root) == seeds
    result, out = build(root)
    own = re.compile(r"<h1[^>]*>\s*" + re.escape(kept["title"]))
    (text,) = [
        t for t in (p.read_text("utf-8") for p in out.glob("ar/articles/*/index.html")) if own.search(t)
    ]
    assert all(name in text for name in ("الوكالة", "الصحيفة", "المجمع"))


def test_an_edited_seed_survives_and_a_deleted_one_stays_deleted(tmp_path, server):
    items = [
        {"guid": f"e{i}", "link": server.url(f"/e/{i}"), "title": f"قصة رقم {i}", "body": story(AR, 50 + i)}
        for i in range(2)
    ]
    server.route("/f.xml", rss(items), etag='"1"')
    root = make_site(tmp_path, [{"url": server.url("/f.xml"), "name": "F"}])
    assert fetch(root).new == 2
    edited, deleted = sorted((root / "seeds").glob("*/*.txt"))
    edited.write_text("عنوان صححه المحرر\n\nنص صححه المحرر.\n", encoding="utf-8")
    deleted.unlink()
    deleted.with_suffix(".yml").unlink()
    server.route("/f.xml", rss(items), etag='"2"')  # the feed changed: it is read again
    assert fetch(root, now=NOW + timedelta(hours=1)).new == 0
    assert edited.read_text("utf-8").startswith("عنوان صححه المحرر")
    assert not deleted.exists()
    # --offline makes seeds again from the stored items: never those two.
    assert fetch(root, offline=True).rewritten == 0
    assert edited.read_text("utf-8").startswith("عنوان صححه المحرر") and not deleted.exists()
    with FeedStore.open(state_path(load_config(root))) as store:
        assert sorted(i.state for i in store.items()) == ["deleted", "edited"]


def test_offline_remakes_untouched_seeds_with_the_new_settings(tmp_path, server):
    items = [
        {
            "guid": "o1",
            "link": server.url("/o/1"),
            "title": "قصة",
            "body": story(AR, 60),
            "categories": ["رياضة"],
        }
    ]
    server.route("/o.xml", rss(items))
    root = make_site(tmp_path, [{"url": server.url("/o.xml"), "name": "O"}])
    fetch(root)
    assert next(iter(seeds_of(root).values()))["tags"] == ["رياضة"]
    toml = root / "site.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('name = "O"', 'name = "O"\ncategories = { "رياضة" = "sport" }'),
        "utf-8",
    )
    server.route("/o.xml", "gone", status=500)
    report = fetch(root, offline=True)
    assert report.rewritten == 1 and not server.requests("/o.xml")[1:]
    side = next(iter(seeds_of(root).values()))
    assert side["section"] == ["sport"] and "tags" not in side
    fetch(root, now=NOW + timedelta(days=1))  # the store still agrees with the files: no tombstone
    with FeedStore.open(state_path(load_config(root))) as store:
        assert [i.state for i in store.items()] == ["written"]


def test_every_fault_is_one_error_and_the_other_feeds_go_on(tmp_path, server):
    good = [{"guid": "ok", "link": server.url("/ok/1"), "title": "خبر سليم", "body": story(AR, 70)}]
    server.route("/good.xml", rss(good))
    server.route(
        "/html.xml", "<!doctype html><html><body><h1>Not a feed</h1></body></html>", content_type="text/html"
    )
    server.route("/500.xml", "oops", status=500)
    server.route("/loop-a.xml", redirect="/loop-b.xml", status=302)
    server.route("/loop-b.xml", redirect="/loop-a.xml", status=302)
    server.route("/hang.xml", hang=True)
    server.route("/drip.xml", rss(good) * 20, drip=0.05)
    server.route("/bomb.xml", gzip_bomb=200_000_000)
    server.route("/big.xml", "x" * 6_000_000)
    bad_xml = rss(
        [{"guid": "m1", "link": server.url("/m/1"), "title": "عنوان & مكسور", "body": story(AR, 71)}]
    )
    server.route("/malformed.xml", bad_xml.replace("</channel></rss>", "<broken></channel>"))
    cp1256 = rss(
        [{"guid": "c1", "link": server.url("/c/1"), "title": "خبر بترميز قديم", "body": story(AR, 72)}]
    )
    cp1256 = cp1256.replace('encoding="utf-8"', 'encoding="windows-1256"').encode("cp1256")
    server.route("/cp1256.xml", cp1256, content_type="application/rss+xml")  # no charset in HTTP
    many = [
        {"guid": f"n{i}", "link": server.url(f"/n/{i}"), "title": f"بند {i}", "body": [f"نص قصير {i}."]}
        for i in range(10_000)
    ]
    server.route("/many.xml", rss(many))
    undated = [
        {
            "guid": "u1",
            "link": server.url("/u/1"),
            "title": "خبر بلا تاريخ",
            "body": story(AR, 73),
            "date": False,
        }
    ]
    server.route("/undated.xml", rss(undated))
    dup = [
        {"guid": "d", "link": server.url(f"/d/{i}"), "title": f"مكرر {i}", "body": story(AR, 74 + i)}
        for i in range(3)
    ]
    server.route("/dupguid.xml", rss(dup))
    script = '<p>نص أول</p><script>alert("owned")</script><p onclick="steal()">نص ثان<img src=x onerror="pwn()"></p>'
    server.route(
        "/script.xml",
        rss([{"guid": "s1", "link": server.url("/s/1"), "title": "خبر مع سكربت", "html": script}]),
    )
    names = [
        "good",
        "html",
        "500",
        "loop-a",
        "hang",
        "drip",
        "bomb",
        "big",
        "malformed",
        "cp1256",
        "many",
        "undated",
        "dupguid",
        "script",
    ]
    root = make_site(tmp_path, [{"url": server.url(f"/{n}.xml"), "name": n} for n in names])
    report = fetch(root)
    errors = {o.name: o.error for o in report.outcomes if o.error}
    assert set(errors) == {"html", "500", "loop-a", "hang", "drip", "bomb", "big"}, errors
    assert "HTML page" in errors["html"] and "500" in errors["500"] and "loop" in errors["loop-a"]
    assert "cap" in errors["bomb"] and "cap" in errors["big"]
    assert "too slow" in errors["drip"] or "timed out" in errors["drip"]
    seeds = seeds_of(root)
    titles = {s["title"] for s in seeds.values()}
    assert {"خبر سليم", "خبر بترميز قديم", "خبر بلا تاريخ", "خبر مع سكربت"} <= titles
    assert any("مكسور" in t for t in titles)  # the malformed feed's item, read anyway
    assert sum(1 for s in seeds.values() if s["title"].startswith("بند ")) == 50  # max_items
    assert sum(1 for s in seeds.values() if s["title"].startswith("مكرر ")) == 1
    assert outcome(report, "dupguid").warnings and outcome(report, "malformed").warnings
    undated_side = next(s for s in seeds.values() if s["title"] == "خبر بلا تاريخ")
    assert undated_side["date"] == NOW.isoformat(timespec="seconds")
    script_seed = next(p for p in (root / "seeds").glob("script/*.txt"))
    text = script_seed.read_text("utf-8")
    assert "نص ثان" in text and not any(bad in text for bad in ("alert", "steal", "pwn", "onerror", "<"))
    with FeedStore.open(state_path(load_config(root))) as store:
        failing = {f.name: f.error_count for f in store.feeds() if f.error_count}
        assert set(failing) == set(errors)


def test_a_permanent_redirect_moves_the_subscription(tmp_path, server):
    items = [{"guid": "r1", "link": server.url("/r/1"), "title": "قصة", "body": story(AR, 80)}]
    server.route("/old.xml", redirect="/new.xml", status=301)
    server.route("/new.xml", rss(items))
    root = make_site(tmp_path, [{"url": server.url("/old.xml"), "name": "Moved"}])
    report = fetch(root)
    assert report.new == 1 and report.moved == [(server.url("/old.xml"), server.url("/new.xml"))]
    config = load_config(root)
    assert [f.url for f in config.feeds] == [server.url("/new.xml")]
    with FeedStore.open(state_path(config)) as store:
        assert [f.url for f in store.feeds()] == [server.url("/new.xml")]


def test_robots_txt_is_honoured(tmp_path, server):
    server.route("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.route("/private/feed.xml", rss([]))
    root = make_site(tmp_path, [{"url": server.url("/private/feed.xml"), "name": "Private"}])
    report = fetch(root)
    assert "robots.txt" in outcome(report, "Private").error
    assert not server.requests("/private/feed.xml")


def test_a_failing_feed_is_reported_once(tmp_path, server):
    server.route("/down.xml", "no", status=503)
    root = make_site(
        tmp_path, [{"url": server.url("/down.xml"), "name": "Down"}], fetch="report_after = 3600\n"
    )
    assert fetch(root).reports == []  # failing, but not for an hour yet
    later = fetch(root, now=NOW + timedelta(hours=2))
    assert len(later.reports) == 1 and "Down" in later.reports[0]
    assert fetch(root, now=NOW + timedelta(hours=3)).reports == []  # said once
    server.route("/down.xml", rss([]))
    assert fetch(root, now=NOW + timedelta(hours=4)).failed == 0
    server.route("/down.xml", "no", status=503)
    fetch(root, now=NOW + timedelta(hours=5))
    assert len(fetch(root, now=NOW + timedelta(hours=7)).reports) == 1  # a new run of failures


def test_feeds_status_and_update_on_the_command_line(tmp_path, server):
    items = [{"guid": "c1", "link": server.url("/c/1"), "title": "قصة اليوم", "body": story(AR, 90)}]
    server.route("/cli.xml", rss(items))
    server.route("/bad.xml", "no", status=404)
    root = make_site(
        tmp_path,
        [{"url": server.url("/cli.xml"), "name": "CLI"}, {"url": server.url("/bad.xml"), "name": "Bad"}],
    )
    run = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "update"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "1 new story" in run.stdout and "built" in run.stdout + run.stderr
    assert list((root / "public" / "ar" / "articles").glob("*/index.html"))
    status = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "feeds", "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0
    assert "CLI" in status.stdout and "new in the last day: 1" in status.stdout
    assert "Bad" in status.stdout and "HTTP 404" in status.stdout


KILL_POINTS = ("after-pending", "before-replace-txt", "after-txt")


@pytest.mark.parametrize("moment", KILL_POINTS)
def test_a_fetch_killed_at_any_moment_leaves_a_consistent_state(tmp_path, server, moment):
    items = [
        {"guid": f"k{i}", "link": server.url(f"/k/{i}"), "title": f"قصة {i}", "body": story(AR, 100 + i)}
        for i in range(4)
    ]
    server.route("/k.xml", rss(items))
    root = make_site(tmp_path, [{"url": server.url("/k.xml"), "name": "K"}])
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "fetch", "--force"]
    killed = subprocess.run(command, env={**os.environ, KILL_ENV: moment}, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    config = load_config(root)

    def consistent() -> int:
        with FeedStore.open(state_path(config), seeds_dir=root / "seeds") as store:
            items = store.items()
            assert all(i.state == "written" for i in items)
            for item in items:
                txt = root / "seeds" / item.seed_path
                assert seed_digest(txt.read_bytes(), txt.with_suffix(".yml").read_bytes()) == item.seed_hash
            on_disk = sorted(
                p.relative_to(root / "seeds").as_posix() for p in (root / "seeds").glob("*/*.txt")
            )
            assert on_disk == sorted(i.seed_path for i in items)
            assert not list((root / "seeds").rglob(".*partial"))
            return len(items)

    # The feed's four stories are one batch: all written (the files were whole) or none.
    assert consistent() == (4 if moment == "after-txt" else 0)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert consistent() == 4


def test_expire_forgets_old_items_but_keeps_tombstones(tmp_path, server):
    items = [
        {"guid": f"x{i}", "link": server.url(f"/x/{i}"), "title": f"قصة {i}", "body": story(AR, 110 + i)}
        for i in range(2)
    ]
    server.route("/x.xml", rss(items))
    root = make_site(tmp_path, [{"url": server.url("/x.xml"), "name": "X"}])
    fetch(root)
    first = sorted((root / "seeds").glob("*/*.txt"))[0]
    first.unlink()
    fetch(root, now=NOW + timedelta(days=40), expire_days=30)
    with FeedStore.open(state_path(load_config(root))) as store:
        assert [i.state for i in store.items()] == ["deleted"]
    assert len(list((root / "seeds").glob("*/*.txt"))) == 1  # seeds on disk are never touched


def test_the_demo_fetches_its_fixture_feeds_offline(tmp_path):
    """The README's `python build.py fetch --from-fixtures`: the demo's six feeds, no network."""
    from conftest import committed_demo, copy_site

    root = copy_site(tmp_path / "demo")
    committed_demo(root, ("fixtures",))
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "fetch", "--from-fixtures"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert "6 of 6 feed(s) fetched" in run.stdout and "16 new stories, 1 copy" in run.stdout, run.stdout
    folders = {p.parent.name for p in (root / "seeds").glob("*/*.txt")}
    assert len(folders) == 6
    persian = "".join(
        p.read_text("utf-8") for p in (root / "seeds").glob("*/*.txt") if "آوای" in p.parent.name
    )
    assert "\u200c" in persian  # full text read from the pages, ZWNJ kept
    again = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert "(6 not modified), 0 new stories" in again.stdout, again.stdout
    report, out = build(root)
    assert report.exit_code == 0 and not report.problems, report.problems
    assert len(list(out.glob("fa/articles/*/index.html"))) >= 3


def test_reading_and_extraction_in_a_process_pool_give_the_same_seeds(tmp_path, server):
    items = [
        {"guid": f"p{i}", "link": server.url(f"/p/{i}"), "title": f"قصة {i}", "body": story(AR, 120 + i)}
        for i in range(3)
    ]
    page = (
        "<html><body><article><h1>قصة</h1>"
        + "".join(f"<p>{p}</p>" for p in story(AR, 130, 6))
        + "</article></body></html>"
    )
    server.route("/pool.xml", rss(items))
    server.route(
        "/summary.xml",
        rss([{"guid": "s", "link": server.url("/page"), "title": "ملخص", "summary": "ملخص قصير"}]),
    )
    server.route("/page", page, content_type="text/html; charset=utf-8")
    feeds = [
        {"url": server.url("/pool.xml"), "name": "Pool"},
        {"url": server.url("/summary.xml"), "name": "Summary", "full_text": True},
    ]
    in_process = make_site(tmp_path / "a", feeds)
    pooled = make_site(tmp_path / "b", feeds)
    assert fetch(in_process).new == 4
    assert fetch(pooled, workers=2).new == 4

    def contents(root):
        return sorted(p.read_text("utf-8") for p in (root / "seeds").glob("*/*.*"))

    assert contents(in_process) == contents(pooled)
    assert any(story(AR, 130, 6)[0] in text for text in contents(pooled))  # the page's full text


def test_two_outlets_of_one_name_get_two_folders(tmp_path, server):
    server.route(
        "/one.xml",
        rss([{"guid": "a", "link": server.url("/a"), "title": "قصة أولى", "body": story(AR, 140)}]),
    )
    server.route(
        "/two.xml",
        rss([{"guid": "b", "link": server.url("/b"), "title": "قصة ثانية", "body": story(AR, 141)}]),
    )
    root = make_site(tmp_path, [{"url": server.url(f"/{n}.xml"), "name": "News"} for n in ("one", "two")])
    assert fetch(root).new == 2
    assert sorted(p.name for p in (root / "seeds").iterdir() if p.is_dir()) == ["news", "news-2"]


def test_hostile_feeds_are_one_error_each_and_never_stop_the_run(tmp_path, server):
    good = [{"guid": "ok", "link": server.url("/ok"), "title": "خبر سليم", "body": story(AR, 150)}]
    server.route("/good.xml", rss(good))
    server.route("/deep.json", "[" * 100_000, content_type="application/feed+json")
    typed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "t1", "url": server.url("/t1"), "title": "bad types", "tags": 5, "authors": 7},
            {"id": "t2", "url": server.url("/t2"), "title": "<" * 200_000, "content_html": "<p>نص</p>" * 50},
        ],
    }
    server.route("/typed.json", json.dumps(typed), content_type="application/feed+json")
    bad_port = [{"guid": "bp", "link": "http://127.0.0.1:99999/x", "title": "منفذ", "summary": "ملخص"}]
    server.route("/port.xml", rss(bad_port))
    root = make_site(
        tmp_path,
        [
            {"url": server.url("/good.xml"), "name": "good"},
            {"url": server.url("/deep.json"), "name": "deep"},
            {"url": server.url("/typed.json"), "name": "typed"},
            {"url": server.url("/port.xml"), "name": "port", "full_text": True},
        ],
    )
    started = datetime.now()
    report = fetch(root)
    assert (datetime.now() - started).total_seconds() < 20
    errors = {o.name: o.error for o in report.outcomes if o.error}
    assert set(errors) == {"deep"}, errors
    assert "خبر سليم" in {s["title"] for s in seeds_of(root).values()}
    assert outcome(report, "typed").warnings  # the item with wrong types skipped, said once
    assert any("usable address" in w for w in outcome(report, "port").warnings)


def test_guids_are_per_feed_and_a_feed_moved_to_a_page_keeps_its_address(tmp_path, server):
    for name in ("alpha", "beta"):
        items = [
            {
                "guid": str(i),
                "link": server.url(f"/{name}/{i}"),
                "title": f"{name} {i}",
                "body": story(AR, len(name) * 100 + i),
            }
            for i in range(3)
        ]
        server.route(f"/{name}.xml", rss(items))
    server.route("/retired.xml", redirect="/", status=301)
    server.route("/", "<!doctype html><html><body><p>Home page</p></body></html>", content_type="text/html")
    root = make_site(
        tmp_path,
        [
            {"url": server.url("/alpha.xml"), "name": "alpha"},
            {"url": server.url("/beta.xml"), "name": "beta"},
            {"url": server.url("/retired.xml"), "name": "retired"},
        ],
    )
    report = fetch(root)
    assert report.new == 6  # GUIDs 0, 1, 2 in two feeds are six stories
    assert report.moved == [] and "HTML page" in outcome(report, "retired").error
    assert server.url("/retired.xml") in {f.url for f in load_config(root).feeds}


def test_the_subscriptions_language_wins_and_pages_on_private_addresses_are_refused(tmp_path, server):
    items = [
        {
            "guid": "m1",
            "link": "http://169.254.169.254/latest/meta-data/",
            "title": "Metadata",
            "summary": "short",
        }
    ]
    server.route("/mislabelled.xml", rss(items, lang="en-us"))
    root = make_site(
        tmp_path, [{"url": server.url("/mislabelled.xml"), "name": "M", "lang": "ar", "full_text": True}]
    )
    report = fetch(root)
    (side,) = seeds_of(root).values()
    assert side["lang"] == "ar"
    assert any("private" in w for w in outcome(report, "M").warnings)


def test_fetch_works_when_the_caller_already_runs_an_event_loop(tmp_path, server):
    import asyncio

    server.route(
        "/loop.xml", rss([{"guid": "l", "link": server.url("/l"), "title": "قصة", "body": story(AR, 160)}])
    )
    root = make_site(tmp_path, [{"url": server.url("/loop.xml"), "name": "L"}])

    async def inside():
        return fetch(root)

    # In a thread of its own: this test's thread may already hold a loop (a browser driver's)
    import threading

    results = []
    thread = threading.Thread(target=lambda: results.append(asyncio.run(inside())))
    thread.start()
    thread.join()
    assert results[0].new == 1
