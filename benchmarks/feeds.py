#!/usr/bin/env python3
"""Benchmark: ``python build.py fetch`` against many local feeds, then a build of what it fetched.

    python benchmarks/feeds.py [--feeds 500] [--items 50] [--hosts 50] [--work DIR] [--keep]
                               [--json FILE]

What it sets up:
  a site made by ``python build.py new SITE --languages ar,en,fa`` with one ``[[feeds]]`` table
  per feed and a ``[fetch]`` table (host_delay 0.05 s, deadline 10 s, timeout 5 s: the rest as
  Sahifa's defaults: concurrency 32, two requests at once per host), and a server process
  (this file with ``--serve``; asyncio, standard library only) that listens on 127.0.0.1 on
  ``--hosts`` ports, each port one "host" with ``feeds / hosts`` feeds of ``--items`` items.
  Feeds are RSS 2.0 (with content:encoded), Atom and JSON Feed in turn, in Arabic, English
  and Persian (every pairing occurs). Items are 4-8 paragraphs, a few hundred words drawn by a
  seeded ``random.Random`` from a word list of the language, starting with a dateline, dated in
  late November 2026; no two are near-duplicates. One feed in five carries summaries only and
  is subscribed with ``full_text = true``: its items' article pages (nav, article, footer) are
  fetched. One feed in twenty is bad: half of them answer every request 3 s late (they still
  succeed: the timeout is 5 s), half fail (HTTP 500, or the connection closed without an
  answer). Every answer has an ETag (a digest of the body) and a Last-Modified date; a
  matching If-None-Match (or, without one, If-Modified-Since) gets a 304. robots.txt allows
  everything on every port. Bodies are sent uncompressed.

What it measures, each step a process of its own (wall time with ``time.perf_counter``; CPU
time and the peak RSS of the largest process from ``os.wait4``, this process being a child
subreaper so that the fetcher's pool (a forkserver nobody waits for, and its workers) is
counted too; the peak of the summed RSS of the whole process tree, sampled from /proc every
0.2 s):
  first fetch   ``fetch --force --verbose`` into the empty site (every item is new)
  second fetch  the same again: conditional requests, nearly every feed answers 304
  build         ``python build.py --root SITE --out OUT`` of the fetched site
and checks the outcome: after the first fetch (feeds - failing feeds) x items seed files and
exactly the failing feeds failed, after the second none new and conditional requests; and
that the repository's commit did not change while the benchmark ran. The server's counters
(requests, conditional requests, 304s, its own CPU time, which the fetcher's two cores share)
are read after each fetch. Prints a Markdown table and the ratio second/first fetch; ``--json
FILE`` writes the numbers too. The exit code is 1 when a check fails.

The server process (not the measured one) shares the machine with the fetcher: its CPU time
is in the notes. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import html
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from corpus import WORDS as CORPUS_WORDS  # beside this script (python benchmarks/feeds.py)

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build.py"

LANGS = ("ar", "en", "fa")
FORMATS = ("rss", "atom", "json")
FULL_TEXT_EVERY = 5  # feed i with i % 5 == 1: summaries only, full_text = true
BAD_EVERY = 20  # feed i with i % 20 == 7: a bad host (slow, or failing)
SLOW_SECONDS = 3.0
WINDOW_START = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW_MINUTES = 10 * 24 * 60  # items dated 20-29 November 2026
ZONES = {
    "ar": timezone(timedelta(hours=3)),
    "en": UTC,
    "fa": timezone(timedelta(hours=3, minutes=30)),
}
DIRECTION = {"ar": "rtl", "en": "ltr", "fa": "rtl"}

WORDS = {  # the corpus generator's words, then more, so that 50 items a feed stay varied
    "ar": CORPUS_WORDS["ar"]
    + " "
    + (
        "المجلس البلدية الميزانية الضرائب الاستثمار البنك العملة التضخم الصادرات الواردات "
        "الزراعة المحصول الري الصحة الأطباء الدواء اللقاح التعليم المعلمين الامتحانات الثقافة "
        "المهرجان الكتاب الفيلم الموسيقى التراث المتحف الآثار السياحة الفندق الرحلة النقل "
        "الحافلة السيارة الجسر النفق المشروع الخطة التقرير الدراسة البيان المؤتمر الوفد "
        "الاتفاق المفاوضات السفير الوزارة اللجنة القانون الدستور القرار الحكم المحامي القاضي "
        "الشهود الأمن الجيش الحريق الإسعاف الطقس الرياح الحرارة الثلوج الفيضان الجفاف البيئة "
        "التلوث الطاقة الشمس الرياضة البطولة المدرب اللاعب الهدف الجمهور الصحافة الإذاعة "
        "التلفزيون الإنترنت الهاتف الشباب النساء الأطفال الأسر السكان المواطنين الموظفين "
        "المزارعين التجار المستثمرين أوضح أشار طالب رفض وافق ناقش درس وقع استقبل زار شارك حضر "
        "نظم أطلق خصص وعد حذر توقع سجل بلغ تجاوز تراجع استمر عاد حصل قدم نشر كشف أضاف أفاد "
        "صباح مساء خلال بعد قبل نحو حوالي أكثر أقل"
    ),
    "en": CORPUS_WORDS["en"]
    + " "
    + (
        "council municipality budget taxes investment bank currency inflation exports imports "
        "farming harvest irrigation health doctors medicine vaccine education teachers exams "
        "culture festival book film music heritage museum ruins tourism hotel journey "
        "transport bus car bridge tunnel project plan report study statement conference "
        "delegation agreement talks ambassador ministry committee law constitution ruling "
        "judge lawyer witnesses security army fire ambulance weather wind heat snow flood "
        "drought environment pollution energy solar sport championship coach player goal crowd "
        "press radio television internet phone youth women children families residents "
        "citizens employees farmers traders investors explained noted demanded refused "
        "approved discussed studied signed received visited joined attended organised launched "
        "allocated promised warned expected recorded reached exceeded declined continued "
        "returned obtained presented published revealed added reported morning evening during "
        "after before about nearly more less several million percent officials sources region "
        "province capital district"
    ),
    "fa": CORPUS_WORDS["fa"]
    + " "
    + (
        "شورا شهرداری بودجه مالیات سرمایه‌گذاری بانک ارز تورم صادرات واردات کشاورزی برداشت "
        "آبیاری سلامت پزشکان دارو واکسن آموزش معلمان امتحانات فرهنگ جشنواره کتاب فیلم موسیقی "
        "میراث موزه آثار گردشگری هتل سفر حمل‌ونقل اتوبوس خودرو پل تونل طرح برنامه گزارش پژوهش "
        "بیانیه همایش هیئت توافق مذاکرات سفیر وزارتخانه کمیسیون قانون اساسی حکم قاضی وکیل "
        "شاهدان امنیت ارتش آتش‌سوزی اورژانس هوا باد گرما برف سیل خشکسالی محیط‌زیست آلودگی "
        "انرژی خورشیدی ورزش قهرمانی مربی بازیکن گل تماشاگران مطبوعات رادیو تلویزیون اینترنت "
        "تلفن جوانان زنان کودکان خانواده‌ها ساکنان شهروندان کارمندان کشاورزان بازرگانان "
        "سرمایه‌گذاران توضیح اشاره خواستار رد تصویب بررسی امضا پذیرفت بازدید شرکت‌کرد برگزار "
        "راه‌اندازی اختصاص وعده هشدار پیش‌بینی ثبت بیش کمتر ادامه بازگشت دریافت ارائه منتشر "
        "افشا افزود گزارش‌داد صبح عصر طی پس پیش حدود تقریبا مقامات منابع منطقه استان پایتخت"
    ),
}
CITIES = {
    "ar": ("القاهرة", "بيروت", "عمّان", "الرباط", "تونس", "بغداد", "دمشق", "الدوحة", "الرياض", "الخرطوم"),
    "en": ("LONDON", "CAIRO", "NEW YORK", "NAIROBI", "DELHI", "SYDNEY", "TORONTO", "GENEVA", "LAGOS"),
    "fa": ("تهران", "مشهد", "اصفهان", "تبریز", "شیراز", "کابل", "هرات", "کرمان", "رشت", "یزد"),
}
AGENCIES = {
    "ar": ("وكالة الأنباء", "رويترز", "أ ف ب", "د ب أ", "مراسلنا"),
    "en": ("Wire One", "Press Two", "Agency Three", "News Four", "Dispatch Five"),
    "fa": ("خبرگزاری یک", "خبرگزاری دو", "ایرنا", "ایسنا", "خبرنگار ما"),
}
AUTHORS = {
    "ar": ("سارة محمود", "خالد الأحمد", "ليلى حسن", "عمر يوسف", "منى سليم"),
    "en": ("Jane Porter", "Ravi Menon", "Ada Okafor", "Tom Reyes", "Mia Lund"),
    "fa": ("مریم احمدی", "علی رضایی", "نرگس کریمی", "حسین نوری", "زهرا موسوی"),
}
CATEGORIES = {  # the first two are mapped to sections in each feed's [[feeds]] table
    "ar": ("اقتصاد", "رياضة", "سياسة", "ثقافة", "صحة", "مجتمع"),
    "en": ("Economy", "Sport", "Politics", "Culture", "Health", "Society"),
    "fa": ("اقتصاد", "ورزش", "سیاست", "فرهنگ", "سلامت", "جامعه"),
}
SECTIONS = ("economy", "sport")
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
EXTENSIONS = {"rss": "xml", "atom": "atom", "json": "json"}


# --- the plan: what each feed is (the same in the parent and in the server) ------------------


@dataclass(frozen=True)
class Feed:
    index: int
    host: int
    """Which port (0 .. hosts-1) serves it."""
    fmt: str
    lang: str
    full_text: bool
    bad: str | None
    """None, "slow" (3 s late), "500" or "close" (connection closed, no answer)."""

    @property
    def name(self) -> str:
        return f"bench-{self.index:04d}-{self.lang}"

    @property
    def path(self) -> str:
        return f"/feeds/f{self.index:04d}.{EXTENSIONS[self.fmt]}"

    @property
    def failing(self) -> bool:
        return self.bad in ("500", "close")


def plan(feeds: int, hosts: int) -> list[Feed]:
    """Feeds in blocks per host (host h serves feeds h*feeds/hosts ...), so that every host has
    its share of summary-only feeds (about two in ten) and of bad ones."""
    result = []
    for i in range(feeds):
        bad = None
        if i % BAD_EVERY == 7:
            k = i // BAD_EVERY
            bad = "slow" if k % 2 == 0 else ("500" if (k // 2) % 2 == 0 else "close")
        result.append(
            Feed(
                index=i,
                host=i * hosts // feeds,
                fmt=FORMATS[i % 3],
                lang=LANGS[(i // 3) % 3],
                full_text=i % FULL_TEXT_EVERY == 1,
                bad=bad,
            )
        )
    return result


# --- the feeds' content ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    number: int
    guid: str
    link: str
    title: str
    paragraphs: tuple[str, ...]
    summary: str
    published: datetime
    author: str
    categories: tuple[str, ...]


def _sentence(rng: random.Random, words: list[str], lang: str) -> str:
    chosen = rng.choices(words, k=rng.randint(7, 16))
    if rng.random() < 0.25:
        chosen.insert(rng.randrange(len(chosen)), str(rng.randint(2, 9800)))
    text = " ".join(chosen)
    if lang == "en":
        text = text[0].upper() + text[1:]
    return text + "."


def make_items(feed: Feed, count: int, base: str) -> list[Item]:
    """The feed's items, newest first; the same arguments give the same items."""
    rng = random.Random(f"sahifa-feeds-bench-{feed.index}")
    words = WORDS[feed.lang].split()
    zone = ZONES[feed.lang]
    items = []
    for j in range(count):
        published = (WINDOW_START + timedelta(minutes=rng.randrange(WINDOW_MINUTES))).astimezone(zone)
        paragraphs = []
        target = rng.randint(220, 420)
        n_par = rng.randint(4, 8)
        for p in range(n_par):
            sentences, got = [], 0
            while got < target // n_par:
                sentences.append(_sentence(rng, words, feed.lang))
                got += sentences[-1].count(" ") + 1
            paragraphs.append(" ".join(sentences))
        city, agency = rng.choice(CITIES[feed.lang]), rng.choice(AGENCIES[feed.lang])
        if feed.lang == "en":
            paragraphs[0] = f"{city} ({agency}) - {paragraphs[0]}"
        else:
            paragraphs[0] = f"{city} - ({agency}) - {paragraphs[0]}"
        title = " ".join(rng.choices(words, k=rng.randint(6, 11)))
        if feed.lang == "en":
            title = title[0].upper() + title[1:]
        lead = paragraphs[0].split()
        summary = " ".join(lead[:40]) + " …"
        slug = f"f{feed.index:04d}-{j:04d}"
        items.append(
            Item(
                number=j,
                guid=f"tag:bench.sahifa.test,2026:{slug}",
                link=f"{base}/news/{published:%Y/%m/%d}/{slug}.html",
                title=title,
                paragraphs=tuple(paragraphs),
                summary=summary,
                published=published,
                author=rng.choice(AUTHORS[feed.lang]),
                categories=tuple(rng.sample(CATEGORIES[feed.lang], rng.randint(1, 2))),
            )
        )
    items.sort(key=lambda item: item.published, reverse=True)
    return items


def _html_paragraphs(item: Item) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in item.paragraphs)


def render_feed(feed: Feed, items: list[Item], base: str) -> bytes:
    title = f"Bench News {feed.index:04d}"
    home = f"{base}/"
    self_url = base + feed.path
    updated = max(item.published for item in items) if items else WINDOW_START
    if feed.fmt == "json":
        data = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": title,
            "home_page_url": home,
            "feed_url": self_url,
            "language": feed.lang,
            "items": [
                {
                    "id": item.guid,
                    "url": item.link,
                    "title": item.title,
                    "summary": item.summary,
                    "content_html": f"<p>{html.escape(item.summary)}</p>"
                    if feed.full_text
                    else _html_paragraphs(item),
                    "date_published": item.published.isoformat(),
                    "authors": [{"name": item.author}],
                    "tags": list(item.categories),
                }
                for item in items
            ],
        }
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    if feed.fmt == "rss":
        out.append(
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
            f"<channel><title>{xml_escape(title)}</title><link>{home}</link>"
            f"<description>{xml_escape(title)}</description><language>{feed.lang}</language>"
            f'<atom:link href="{self_url}" rel="self" type="application/rss+xml"/>'
            f"<lastBuildDate>{email.utils.format_datetime(updated)}</lastBuildDate>\n"
        )
        for item in items:
            out.append(
                f"<item><title>{xml_escape(item.title)}</title><link>{item.link}</link>"
                f'<guid isPermaLink="false">{item.guid}</guid>'
                f"<pubDate>{email.utils.format_datetime(item.published)}</pubDate>"
                f"<dc:creator>{xml_escape(item.author)}</dc:creator>"
                + "".join(f"<category>{xml_escape(c)}</category>" for c in item.categories)
                + f"<description>{xml_escape(item.summary)}</description>"
                + (
                    ""
                    if feed.full_text
                    else f"<content:encoded><![CDATA[{_html_paragraphs(item)}]]></content:encoded>"
                )
                + "</item>\n"
            )
        out.append("</channel></rss>\n")
    else:
        out.append(
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.lang}">'
            f"<title>{xml_escape(title)}</title><id>{self_url}</id>"
            f"<updated>{updated.isoformat()}</updated>"
            f'<link rel="self" href="{self_url}"/><link rel="alternate" href="{home}"/>\n'
        )
        for item in items:
            out.append(
                f"<entry><title>{xml_escape(item.title)}</title><id>{item.guid}</id>"
                f'<link rel="alternate" type="text/html" href="{item.link}"/>'
                f"<published>{item.published.isoformat()}</published>"
                f"<updated>{item.published.isoformat()}</updated>"
                f"<author><name>{xml_escape(item.author)}</name></author>"
                + "".join(f'<category term="{xml_escape(c)}"/>' for c in item.categories)
                + f'<summary type="html">{xml_escape(html.escape(item.summary))}</summary>'
                + (
                    ""
                    if feed.full_text
                    else f'<content type="html">{xml_escape(_html_paragraphs(item))}</content>'
                )
                + "</entry>\n"
            )
        out.append("</feed>\n")
    return "".join(out).encode("utf-8")


def render_page(feed: Feed, item: Item, base: str) -> bytes:
    """The item's article page: navigation, the article, a footer."""
    site = f"Bench News {feed.index:04d}"
    nav = "".join(
        f'<li><a href="{base}/section/{i}/">{html.escape(c)}</a></li>'
        for i, c in enumerate(CATEGORIES[feed.lang])
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{feed.lang}" dir="{DIRECTION[feed.lang]}"><head><meta charset="utf-8">'
        f"<title>{html.escape(item.title)} | {site}</title>"
        f'<link rel="canonical" href="{item.link}">'
        f'<meta property="og:title" content="{html.escape(item.title)}">'
        f'<meta property="article:published_time" content="{item.published.isoformat()}">'
        f'<meta name="author" content="{html.escape(item.author)}"></head>\n'
        f'<body><header><a class="logo" href="{base}/">{site}</a><nav><ul>{nav}</ul></nav></header>\n'
        f"<main><article><h1>{html.escape(item.title)}</h1>"
        f'<p class="byline">{html.escape(item.author)} · <time datetime="{item.published.isoformat()}">'
        f"{item.published:%Y-%m-%d %H:%M}</time></p>\n"
        + "\n".join(f"<p>{html.escape(p)}</p>" for p in item.paragraphs)
        + "\n</article>"
        f'<aside><h2>More</h2><ul><li><a href="{base}/">{site}</a></li></ul></aside></main>\n'
        f'<footer><p>© 2026 {site}</p><p><a href="{base}/about">About</a> · '
        f'<a href="{base}/contact">Contact</a></p></footer></body></html>\n'
    ).encode("utf-8")


# --- the server process ----------------------------------------------------------------------


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


class BenchServer:
    """Every feed and page of the plan on ``hosts`` ports of 127.0.0.1 (one asyncio loop)."""

    FEED_PATH = re.compile(r"^/feeds/f(\d{4})\.(xml|atom|json)$")
    PAGE_PATH = re.compile(r"^/news/\d{4}/\d{2}/\d{2}/f(\d{4})-(\d{4})\.html$")

    def __init__(self, feeds: int, items: int, hosts: int, state: Path) -> None:
        self.plan = plan(feeds, hosts)
        self.items = items
        self.hosts = hosts
        self.state = state
        self.ports: list[int] = []
        self.feed_bodies: dict[int, tuple[bytes, str, str]] = {}  # index -> body, etag, last-modified
        self.feed_items: dict[int, dict[int, Item]] = {}
        self.counters = self._zero()
        self.cpu_mark = time.process_time()
        self.phases: dict[str, dict] = {}

    @staticmethod
    def _zero() -> dict:
        return {
            "requests": 0,
            "robots": 0,
            "feed_requests": 0,
            "page_requests": 0,
            "other_requests": 0,
            "conditional_feed": 0,
            "conditional_page": 0,
            "if_none_match": 0,
            "if_modified_since": 0,
            "status": {},
            "closed_unanswered": 0,
            "slow_answers": 0,
            "bytes_sent": 0,
            "connections": 0,
        }

    def base(self, host: int) -> str:
        return f"http://127.0.0.1:{self.ports[host]}"

    async def main(self) -> None:
        servers = []
        for host in range(self.hosts):
            server = await asyncio.start_server(
                lambda r, w, h=host: self.handle(h, r, w), "127.0.0.1", 0, backlog=512
            )
            servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        started = time.perf_counter()
        for feed in self.plan:
            base = self.base(feed.host)
            items = make_items(feed, self.items, base)
            body = render_feed(feed, items, base)
            newest = max((item.published for item in items), default=WINDOW_START)
            self.feed_bodies[feed.index] = (
                body,
                _etag(body),
                email.utils.format_datetime(newest.astimezone(UTC), usegmt=True),
            )
            self.feed_items[feed.index] = {item.number: item for item in items}
        ready = {
            "ports": self.ports,
            "pid": os.getpid(),
            "generated_seconds": round(time.perf_counter() - started, 2),
            "feed_bytes": sum(len(b) for b, _, _ in self.feed_bodies.values()),
        }
        tmp = self.state / "ready.json.tmp"
        tmp.write_text(json.dumps(ready), encoding="utf-8")
        tmp.replace(self.state / "ready.json")
        self.counters = self._zero()
        self.cpu_mark = time.process_time()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for server in servers:
            server.close()

    def snapshot(self, phase: str) -> dict:
        """The counters since the last snapshot (saved under ``phase`` in counters.json), reset."""
        counters = self.counters
        now = time.process_time()
        counters["server_cpu_seconds"] = round(now - self.cpu_mark, 3)
        self.phases[phase] = counters
        tmp = self.state / "counters.json.tmp"
        tmp.write_text(json.dumps(self.phases, indent=1), encoding="utf-8")
        tmp.replace(self.state / "counters.json")
        self.counters = self._zero()
        self.cpu_mark = now
        return counters

    async def handle(self, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters["connections"] += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    break
                method, target, version = parts
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                answer = await self.answer(host, method, target, headers)
                if answer is None:  # a failing host: the connection closes without an answer
                    self.counters["closed_unanswered"] += 1
                    break
                writer.write(answer)
                self.counters["bytes_sent"] += len(answer)
                await writer.drain()
                if version != "HTTP/1.1" or headers.get("connection", "").lower() == "close":
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _response(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, count: bool = True
    ) -> bytes:
        from http import HTTPStatus

        if count:
            self.counters["status"][str(status)] = self.counters["status"].get(str(status), 0) + 1
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            "Server: sahifa-feeds-bench",
        ]
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body if status != 304 else b"")

    def _conditional(self, headers: dict[str, str], etag: str, last_modified: str | None) -> bool:
        """True when the client's copy is current (answer 304)."""
        inm = headers.get("if-none-match")
        if inm is not None:
            self.counters["if_none_match"] += 1
            return etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
        ims = headers.get("if-modified-since")
        if ims is not None and last_modified is not None:
            self.counters["if_modified_since"] += 1
            try:
                return email.utils.parsedate_to_datetime(last_modified) <= email.utils.parsedate_to_datetime(
                    ims
                )
            except (TypeError, ValueError):
                return False
        return False

    async def answer(self, host: int, method: str, target: str, headers: dict[str, str]) -> bytes | None:
        path, _, query = target.partition("?")
        if path == "/__bench/snapshot":  # the benchmark's own: not counted
            phase = query.partition("phase=")[2] or "unnamed"
            body = json.dumps(self.snapshot(phase)).encode("utf-8")
            return self._response(200, body, {"Content-Type": "application/json"}, count=False)
        c = self.counters
        c["requests"] += 1
        if method not in ("GET", "HEAD"):
            c["other_requests"] += 1
            return self._response(405, b"method not allowed\n", {"Allow": "GET, HEAD"})
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        if path == "/robots.txt":
            c["robots"] += 1
            return self._response(200, b"User-agent: *\nAllow: /\n", {"Content-Type": CONTENT_TYPES["text"]})
        match = self.FEED_PATH.match(path)
        page = self.PAGE_PATH.match(path) if match is None else None
        index = int((match or page).group(1)) if (match or page) else -1
        feed = self.plan[index] if 0 <= index < len(self.plan) else None
        if feed is None or feed.host != host or (match and path != feed.path):
            c["other_requests"] += 1
            return self._response(404, b"not found\n", {"Content-Type": CONTENT_TYPES["text"]})
        if match:
            c["feed_requests"] += 1
            c["conditional_feed"] += conditional
        else:
            c["page_requests"] += 1
            c["conditional_page"] += conditional
        if feed.bad == "slow":
            c["slow_answers"] += 1
            await asyncio.sleep(SLOW_SECONDS)
        elif feed.bad == "close":
            return None
        elif feed.bad == "500":
            return self._response(500, b"internal server error\n", {"Content-Type": CONTENT_TYPES["text"]})
        if match:
            body, etag, last_modified = self.feed_bodies[feed.index]
            ctype = CONTENT_TYPES[feed.fmt]
        else:
            item = self.feed_items[feed.index].get(int(page.group(2)))
            if item is None or not item.link.endswith(path):
                c["other_requests"] += 1
                return self._response(404, b"not found\n", {"Content-Type": CONTENT_TYPES["text"]})
            body = render_page(feed, item, self.base(host))
            etag, last_modified = (
                _etag(body),
                email.utils.format_datetime(item.published.astimezone(UTC), usegmt=True),
            )
            ctype = CONTENT_TYPES["html"]
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if self._conditional(headers, etag, last_modified):
            return self._response(304, b"", validators)
        return self._response(200, b"" if method == "HEAD" else body, {"Content-Type": ctype, **validators})


def serve(args) -> int:
    state = Path(args.serve)
    server = BenchServer(args.feeds, args.items, args.hosts, state)
    asyncio.run(server.main())
    return 0


# --- measuring one step ----------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, RSS in bytes) of every process, from /proc."""
    page = os.sysconf("SC_PAGE_SIZE")
    result = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/statm", "rb") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        result[int(name)] = (int(stat.rsplit(b")", 1)[1].split()[1]), pages * page)
    return result


def _tree_rss(root: int) -> int:
    """Summed RSS (bytes) of ``root`` and all its descendants."""
    procs = _processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += procs.get(pid, (0, 0))[1]
        todo.extend(children.get(pid, ()))
    return total


def _own_children() -> set[int]:
    me = os.getpid()
    return {pid for pid, (ppid, _) in _processes().items() if ppid == me}


def become_subreaper() -> bool:
    """Linux: processes orphaned below us (the fetcher's forkserver and its pool workers, which
    nobody waits for) become our children, so that ``os.wait4`` gives their CPU time and peak
    memory too."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


@dataclass
class Step:
    name: str
    wall: float
    cpu: float
    """User + system seconds of every process of the step (orphans reaped here included)."""
    peak_mb: float
    """Peak RSS of the largest single process (os.wait4)."""
    tree_mb: float
    """Peak of the summed RSS of the process tree (sampled every 0.2 s)."""
    code: int
    stdout: str
    stderr: str
    processes: int = 1
    notes: str = ""


def run_step(name: str, cmd: list[str], logs: Path) -> Step:
    """Run ``cmd`` as a child of its own; its wall time, CPU time and memory."""
    out_path, err_path = logs / f"{name}.stdout", logs / f"{name}.stderr"
    peak_tree = [0]
    before = _own_children()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                try:
                    peak_tree[0] = max(peak_tree[0], _tree_rss(proc.pid))
                except OSError:
                    pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu, peak, count = usage.ru_utime + usage.ru_stime, usage.ru_maxrss, 1
    # Orphans of the step (a pool's forkserver, a resource tracker) end once the main process
    # has: wait for them (a few seconds at most) and add what they used.
    deadline = time.time() + 15
    while time.time() < deadline:
        orphans = _own_children() - before
        if not orphans:
            break
        for pid in orphans:
            try:
                got, _, more = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if got:
                cpu += more.ru_utime + more.ru_stime
                peak = max(peak, more.ru_maxrss)
                count += 1
        time.sleep(0.05)
    return Step(
        name=name,
        wall=wall,
        cpu=cpu,
        peak_mb=peak / 1024,
        tree_mb=peak_tree[0] / 2**20,
        code=proc.returncode,
        stdout=out_path.read_text(encoding="utf-8", errors="replace"),
        stderr=err_path.read_text(encoding="utf-8", errors="replace"),
        processes=count,
    )


# --- the run ---------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_site(site: Path, feeds: list[Feed], ports: list[int], items: int) -> None:
    subprocess.run(
        [sys.executable, str(BUILD), "new", str(site), "--languages", "ar,en,fa"],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=REPO,
    )
    lines = ["", "# --- benchmarks/feeds.py ---"]
    for feed in feeds:
        cats = CATEGORIES[feed.lang]
        mapping = ", ".join(f"{toml_string(c)} = {toml_string(s)}" for c, s in zip(cats, SECTIONS))
        lines += [
            "",
            "[[feeds]]",
            f"url = {toml_string(f'http://127.0.0.1:{ports[feed.host]}{feed.path}')}",
            f"name = {toml_string(feed.name)}",
            f'lang = "{feed.lang}"',
            f"full_text = {'true' if feed.full_text else 'false'}",
            f"max_items = {items}",
            f"categories = {{ {mapping} }}",
        ]
    lines += ["", "[fetch]", "host_delay = 0.05", "deadline = 10", "timeout = 5", ""]
    with open(site / "site.toml", "a", encoding="utf-8") as f:
        f.write("\n".join(lines))


def start_server(args, state: Path) -> tuple[subprocess.Popen, dict]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(state)]
    cmd += ["--feeds", str(args.feeds), "--items", str(args.items), "--hosts", str(args.hosts)]
    log = open(state / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.time() + 600
    ready = state / "ready.json"
    while not ready.exists():
        if proc.poll() is not None:
            raise SystemExit(
                f"the feed server exited ({proc.returncode}):\n"
                + (state / "server.log").read_text(errors="replace")[-3000:]
            )
        if time.time() > deadline:
            proc.kill()
            raise SystemExit("the feed server did not start within 600 s")
        time.sleep(0.1)
    return proc, json.loads(ready.read_text(encoding="utf-8"))


def snapshot(port: int, phase: str) -> dict:
    url = f"http://127.0.0.1:{port}/__bench/snapshot?phase={phase}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=30) as answer:
        return json.loads(answer.read().decode("utf-8"))


def count_seeds(site: Path) -> int:
    return sum(1 for _ in (site / "seeds").rglob("*.txt"))


SUMMARY = re.compile(
    r"fetch: (?P<due>\d+) of (?P<feeds>\d+) feed\(s\) fetched(?: \((?P<details>[^)]*)\))?, "
    r"(?P<new>\d+) new stor(?:y|ies)(?:, (?P<copies>\d+) cop(?:y|ies) of stories already here)? "
    r"in (?P<seconds>[\d.]+) s"
)


def parse_summary(stdout: str) -> dict:
    line = next((line for line in stdout.splitlines() if line.startswith("fetch:")), "")
    match = SUMMARY.search(line)
    result = {"line": line}
    if not match:
        return result
    details = match.group("details") or ""
    failed = re.search(r"(\d+) failed", details)
    not_modified = re.search(r"(\d+) not modified", details)
    result.update(
        due=int(match.group("due")),
        feeds=int(match.group("feeds")),
        failed=int(failed.group(1)) if failed else 0,
        not_modified=int(not_modified.group(1)) if not_modified else 0,
        new=int(match.group("new")),
        copies=int(match.group("copies") or 0),
        seconds=float(match.group("seconds")),
    )
    return result


def error_kinds(stderr: str) -> dict[str, int]:
    """``error:`` lines of ``fetch --verbose`` grouped by reason, and page warnings counted."""
    kinds: dict[str, int] = {}
    for line in stderr.splitlines():
        if line.startswith("error: "):
            reason = line.rsplit("): ", 1)[-1]
            reason = re.sub(r"\d+(\.\d+)? s\b", "N s", reason)
            kinds[reason] = kinds.get(reason, 0) + 1
        elif line.startswith("warning: ") and "the page could not be fetched" in line:
            reason = "page not fetched: " + line.rsplit("(", 1)[-1].split(")")[0]
            kinds[reason] = kinds.get(reason, 0) + 1
    return kinds


def revision() -> str:
    """The repository's commit (with "+changes" when the work tree differs from it)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def bench(args, work: Path) -> int:
    feeds = plan(args.feeds, args.hosts)
    failing = sum(feed.failing for feed in feeds)
    slow = sum(feed.bad == "slow" for feed in feeds)
    full_text = sum(feed.full_text for feed in feeds)
    expected = (args.feeds - failing) * args.items
    subreaper = become_subreaper()
    state, logs = work / "server", work / "logs"
    state.mkdir(parents=True)
    logs.mkdir()
    site, out = work / "site", work / "public"
    commit = revision()
    print(
        f"machine: {os.cpu_count()} CPUs; python {platform.python_version()}; sahifa {commit}; "
        f"{args.feeds} feeds x {args.items} items on {args.hosts} ports; {full_text} summary-only "
        f"(full_text), {slow} slow, {failing} failing; work folder {work}"
        + ("" if subreaper else "; no child subreaper: a pool's CPU and memory are missed by os.wait4"),
        flush=True,
    )
    server, ready = start_server(args, state)
    try:
        print(
            f"server ready (pid {ready['pid']}): {ready['feed_bytes'] / 2**20:.1f} MiB of feeds "
            f"generated in {ready['generated_seconds']} s",
            flush=True,
        )
        write_site(site, feeds, ready["ports"], args.items)
        before = count_seeds(site)
        fetch = [sys.executable, str(BUILD), "--root", str(site), "fetch", "--force", "--verbose"]
        snapshot(ready["ports"][0], "setup")

        first = run_step("first-fetch", fetch, logs)
        first_counts = snapshot(ready["ports"][0], "first-fetch")
        seeds_first = count_seeds(site) - before
        print(
            f"first fetch done in {first.wall:.1f} s: {parse_summary(first.stdout).get('line')}", flush=True
        )

        second = run_step("second-fetch", fetch, logs)
        second_counts = snapshot(ready["ports"][0], "second-fetch")
        seeds_second = count_seeds(site) - before - seeds_first
        print(
            f"second fetch done in {second.wall:.1f} s: {parse_summary(second.stdout).get('line')}",
            flush=True,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    build = run_step("build", [sys.executable, str(BUILD), "--root", str(site), "--out", str(out)], logs)
    files = sum(1 for p in out.rglob("*") if p.is_file()) if out.is_dir() else 0
    pages = sum(1 for _ in out.rglob("*.html")) if out.is_dir() else 0
    build_line = (build.stdout.strip().splitlines() or [""])[-1]
    print(f"build done in {build.wall:.1f} s: {build_line}", flush=True)

    s1, s2 = parse_summary(first.stdout), parse_summary(second.stdout)
    checks = []
    commit_after = revision()

    def check(name: str, ok: bool, detail: str) -> None:
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    check("first fetch exit code 0", first.code == 0, f"exit code {first.code}")
    check(
        "first fetch: about (feeds - failing) x items seeds",
        abs(seeds_first - expected) <= max(1, expected // 100),
        f"{seeds_first} seed files, expected {expected} ({args.feeds} - {failing} failing) x {args.items}",
    )
    check(
        "first fetch: failing feeds reported failed",
        s1.get("failed") == failing,
        f"{s1.get('failed')} failed, {failing} planned to fail",
    )
    check("second fetch exit code 0", second.code == 0, f"exit code {second.code}")
    extra = (s1.get("failed") or 0) - failing
    check(
        "second fetch: no new seeds",
        seeds_second == 0 and s2.get("new") == 0,
        f"{seeds_second} new seed files, summary says {s2.get('new')} new"
        + (
            f" ({extra} feed(s) beyond the {failing} failing ones failed in the first fetch)"
            if extra > 0
            else ""
        ),
    )
    feed_reqs = second_counts["feed_requests"]
    n304 = second_counts["status"].get("304", 0)
    check(
        "second fetch: conditional requests",
        second_counts["conditional_feed"] >= (args.feeds - failing) * 0.95,
        f"{second_counts['conditional_feed']} of {feed_reqs} feed requests conditional, {n304} answered 304",
    )
    check(
        "the code did not change during the run",
        commit_after == commit and not commit.endswith("+changes"),
        f"sahifa {commit} at the start, {commit_after} at the end",
    )
    check("build exit code 0 or 1", build.code in (0, 1), f"exit code {build.code}: {build_line[:200]}")

    def requests_note(c: dict) -> str:
        status = ", ".join(f"{k}: {v}" for k, v in sorted(c["status"].items()))
        return (
            f"{c['requests']} requests ({c['robots']} robots, {c['feed_requests']} feed, "
            f"{c['page_requests']} page; {status}; {c['closed_unanswered']} closed); "
            f"server CPU {c['server_cpu_seconds']:.1f} s"
        )

    kinds1, kinds2 = error_kinds(first.stderr), error_kinds(second.stderr)
    pages_missed = sum(n for reason, n in kinds1.items() if reason.startswith("page not fetched"))
    first.notes = (
        f"{seeds_first} stories written; {s1.get('failed')} feeds failed ({failing} planned); "
        f"{pages_missed} pages not fetched; {s1.get('copies', 0)} copies; " + requests_note(first_counts)
    )
    share = n304 / feed_reqs if feed_reqs else 0.0
    second.notes = (
        f"{seeds_second} new stories; {s2.get('not_modified')} not modified, {s2.get('failed')} failed; "
        f"{second_counts['conditional_feed']} conditional feed requests, 304 share {share:.1%} "
        f"of feed requests; " + requests_note(second_counts)
    )
    build.notes = f"exit {build.code}; {files} files ({pages} HTML) written; {build_line[:160]}"

    print()
    print(f"## fetch: {args.feeds} feeds x {args.items} items, {args.hosts} hosts")
    print()
    print(
        "| step | wall s | CPU s (all processes) | peak MB (largest process) | peak MB (sum, sampled) | notes |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for step in (first, second, build):
        print(
            f"| {step.name} | {step.wall:.2f} | {step.cpu:.2f} | {step.peak_mb:.0f} | {step.tree_mb:.0f} "
            f"| {step.notes.replace('|', '/')} |"
        )
    ratio = second.wall / first.wall if first.wall else 0.0
    print()
    print(f"ratio second/first fetch: {ratio:.3f} (wall)")
    print(f"fetch summary lines:\n  first:  {s1.get('line')}\n  second: {s2.get('line')}")
    for label, kinds in (("first", kinds1), ("second", kinds2)):
        if kinds:
            print(f"errors and page failures, {label} fetch:")
            for reason, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
                print(f"  {n:5d}  {reason[:150]}")
    print()
    failed_checks = [c for c in checks if not c["ok"]]
    for c in checks:
        print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    if first.code or second.code or build.code not in (0, 1):
        for step in (first, second, build):
            if step.stderr.strip():
                print(f"\n{step.name} stderr (last lines):\n" + "\n".join(step.stderr.splitlines()[-15:]))

    if args.json:
        data = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "subreaper": subreaper,
                "commit": commit,
                "commit_after": commit_after,
            },
            "config": {
                "feeds": args.feeds,
                "items": args.items,
                "hosts": args.hosts,
                "full_text_feeds": full_text,
                "slow_feeds": slow,
                "failing_feeds": failing,
                "expected_stories": expected,
            },
            "steps": [
                {
                    "step": step.name,
                    "wall_seconds": round(step.wall, 3),
                    "cpu_seconds": round(step.cpu, 3),
                    "peak_mb": round(step.peak_mb, 1),
                    "tree_peak_mb": round(step.tree_mb, 1),
                    "processes_reaped": step.processes,
                    "exit_code": step.code,
                    "notes": step.notes,
                }
                for step in (first, second, build)
            ],
            "ratio_second_first": round(ratio, 4),
            "first_fetch": {"summary": s1, "seeds": seeds_first, "server": first_counts, "errors": kinds1},
            "second_fetch": {
                "summary": s2,
                "seeds": seeds_second,
                "server": second_counts,
                "share_304": round(share, 4),
                "errors": kinds2,
            },
            "build": {"files": files, "html": pages, "line": build_line},
            "checks": checks,
        }
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 1 if failed_checks else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50, help="items per feed (default 50)")
    parser.add_argument("--hosts", type=int, default=50, help="ports the feeds are spread over (default 50)")
    parser.add_argument(
        "--work",
        default=None,
        help="folder for the site, output and logs (new or empty; default: a temp folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder at the end")
    parser.add_argument("--json", default=None, metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args(argv)
    if args.feeds < 1 or args.items < 1 or not 1 <= args.hosts <= args.feeds:
        parser.error("--feeds and --items must be positive, --hosts between 1 and --feeds")
    if args.serve:
        return serve(args)
    if args.work:
        work = Path(args.work).resolve()
        if work.exists() and any(work.iterdir()):
            parser.error(f"--work {work}: the folder is not empty")
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="sahifa-feeds-bench-"))
    try:
        return bench(args, work)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
