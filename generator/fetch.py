"""``python build.py fetch``: follow the ``[[feeds]]`` subscriptions and write their new
stories as seeds under ``seeds/<feed>/``.

One run, in order:

1. open the feed database (``.sahifa/feeds.sqlite``; one writer at a time) and finish what a
   killed run left (``FeedStore.recover``), then note the seeds editors changed or removed
   (``reconcile``: those stories are never written again);
2. for every feed that is due (its ``min_interval`` passed, or the server's own
   ``Cache-Control: max-age``; a failing feed backs off; ``--force`` fetches all), concurrently: a
   conditional GET (``httpfetch``), the feed read (``feedparse``), the items not seen before
   kept, their pages fetched when the subscription wants full text and the item carries a
   summary, each item made into a seed (``feeditem``);
3. in this process, one feed at a time as they finish: each new story is either written as a
   seed (``FeedStore.write_item``, crash-safe) or, when its text is a copy of a story already
   here in the same language (``neardup``), recorded as one more outlet carrying that story;
4. a feed that failed is logged with its reason and retried later (backing off); one failing
   for ``report_after`` seconds is reported once.

Reading feeds and making seeds is CPU work: with many feeds it runs in a pool of processes
while this process keeps the network busy. ``--offline`` fetches nothing: it makes every
stored story's seed again from what was fetched (after a change of the subscription's
categories or of Sahifa's extraction), leaving edited and deleted seeds alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .config import FeedConfig, SiteConfig
from .feeditem import Draft, ItemRules, Page, extract_page, make_draft, needs_page
from .feedparse import Entry, FeedError, ParsedFeed, parse_feed
from .feedstore import FeedStore, FeedStoreError, NewItem
from .httpfetch import Answer, Fetcher, FetchError, HttpSettings
from .progress import QUIET, Progress

STATE_DIR = ".sahifa"
STATE_FILE = "feeds.sqlite"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
POOL_FROM = 8
"""Feeds due in one run from which reading and extraction go to a pool of processes."""
MAX_BACKOFF = 86400.0
NEAR_WINDOW_DAYS = 14
"""Stories first seen this long ago or less are compared for copies."""


def state_path(config: SiteConfig) -> Path:
    return config.root / STATE_DIR / STATE_FILE


def seeds_dir(config: SiteConfig) -> Path:
    return config.root / "seeds"


@dataclass
class FeedOutcome:
    url: str
    name: str
    status: int | None = None
    new: int = 0
    copies: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    moved_to: str | None = None


@dataclass
class FetchReport:
    feeds: int = 0
    due: int = 0
    not_modified: int = 0
    failed: int = 0
    new: int = 0
    copies: int = 0
    rewritten: int = 0
    outcomes: list[FeedOutcome] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    """Feeds failing for ``report_after`` (said once)."""
    moved: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        if self.due == 0 and self.feeds:
            return f"fetch: none of the {self.feeds} feed(s) is due yet (use --force to fetch them now)"
        parts = [f"fetch: {self.due} of {self.feeds} feed(s) fetched"]
        details = []
        if self.not_modified:
            details.append(f"{self.not_modified} not modified")
        if self.failed:
            details.append(f"{self.failed} failed")
        if details:
            parts[0] += f" ({', '.join(details)})"
        parts.append(f"{self.new} new stor{'y' if self.new == 1 else 'ies'}")
        if self.copies:
            parts.append(f"{self.copies} cop{'y' if self.copies == 1 else 'ies'} of stories already here")
        return ", ".join(parts) + f" in {self.seconds:.1f} s"


def user_agent(config: SiteConfig) -> str:
    from . import __version__

    contact = config.fetch.contact or config.base_url
    return f"Sahifa/{__version__} (+{contact}; news-site feed reader)"


def http_settings(config: SiteConfig) -> HttpSettings:
    f = config.fetch
    return HttpSettings(
        user_agent=user_agent(config),
        concurrency=f.concurrency,
        per_host=f.per_host,
        host_delay=f.host_delay,
        connect_timeout=f.timeout,
        read_timeout=f.timeout,
        deadline=f.deadline,
        max_bytes=int(f.max_mb * 1_000_000),
    )


def item_rules(config: SiteConfig, feed: FeedConfig) -> ItemRules:
    return ItemRules(
        name=feed.name,
        lang=feed.lang,
        section=feed.section,
        full_text=feed.full_text,
        categories=tuple(feed.categories.items()),
        languages=tuple((lang.code, lang.locale) for lang in config.languages),
        term_names=tuple(
            (
                ident,
                tuple((lang, value if isinstance(value, str) else value[0]) for lang, value in names.items()),
            )
            for ident, names in config.tag_translations.items()
            if all(isinstance(v, str) or v for v in names.values())
        ),
    )


# --- work that may run in another process --------------------------------------------------


def _read_feed(body: bytes, url: str, content_type: str, max_items: int) -> ParsedFeed:
    return parse_feed(body, url=url, content_type=content_type, max_items=max_items)


def _prepare(entry: Entry, rules: ItemRules, page: Page | None, fetched_at: datetime):
    """(draft, raw) for one item: ``raw`` is what ``--offline`` makes the seed from again."""
    extracted = extract_page(page) if page is not None else None
    if page is not None and extracted is None:
        extracted = {"failed": page.url}
    draft = make_draft(entry, rules, extracted=extracted, fetched_at=fetched_at)
    return draft, pack_raw(entry, extracted, fetched_at)


def _prepare_many(jobs: list) -> list:
    return [_prepare(*job) for job in jobs]


def pack_raw(entry: Entry, extracted: dict | None, fetched_at: datetime) -> bytes:
    def default(value):
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    data = {"entry": asdict(entry), "page": extracted, "fetched_at": fetched_at}
    return zlib.compress(json.dumps(data, default=default, ensure_ascii=False).encode("utf-8"), 6)


def unpack_raw(raw: bytes) -> tuple[Entry, dict | None, datetime]:
    data = json.loads(zlib.decompress(raw).decode("utf-8"))
    values = data["entry"]
    for key in ("published", "updated"):
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    for key in ("authors", "categories"):
        values[key] = tuple(values.get(key) or ())
    page = data.get("page")
    if page and page.get("date"):
        page["date"] = datetime.fromisoformat(page["date"])
    return Entry(**values), page, datetime.fromisoformat(data["fetched_at"])


# --- the run --------------------------------------------------------------------------------


def run_fetch(
    config: SiteConfig,
    *,
    transport=None,
    force: bool = False,
    offline: bool = False,
    expire_days: float | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Progress = QUIET,
    workers: int | None = None,
    config_path: Path | None = None,
    fixtures: bool = False,
) -> FetchReport:
    """One fetch (see the module). ``transport`` answers instead of the network (fixtures,
    tests); ``clock`` returns the current time; ``workers`` 0 keeps all work in this process;
    ``fixtures``: the answers are local files, so no delay between two requests to a host."""
    clock = clock or (lambda: datetime.now(UTC))
    started = time.perf_counter()
    report = FetchReport(feeds=len(config.feeds))
    seeds = seeds_dir(config)
    with FeedStore.open(state_path(config), seeds_dir=seeds, clock=clock) as store:
        store.reconcile(seeds)
        if expire_days is not None:
            store.expire(expire_days)
        rows = {}
        for feed in config.feeds:
            rows[feed.url] = store.upsert_feed(feed.url, feed.name)
        if offline:
            report.rewritten = _rebuild_offline(config, store, seeds)
        else:
            now = clock()
            due = [f for f in config.feeds if force or _due(rows[f.url].next_fetch_at, now)]
            report.due = len(due)
            if due:
                _run_async(
                    lambda: _fetch_all(
                        config, store, seeds, due, rows, report, transport, clock, progress, workers, fixtures
                    )
                )
            from .subscriptions import move_feed

            for moved_from, moved_to in report.moved:
                # The feed's state follows it only when site.toml now names the new address
                # (else the old one is fetched and redirected again next time).
                if move_feed(config, config_path or config.root / "site.toml", moved_from, moved_to):
                    store.move_feed(rows[moved_from].id, moved_to)
        for feed in store.claim_failure_reports(timedelta(seconds=config.fetch.report_after)):
            report.reports.append(
                f"{feed.name} ({feed.url}) has failed since {feed.failing_since:%Y-%m-%d %H:%M} UTC: {feed.last_error}"
            )
    report.seconds = time.perf_counter() - started
    return report


def _run_async(make_coroutine) -> None:
    """``asyncio.run`` of the coroutine; in a thread of its own when this thread already runs
    an event loop (a caller embedding Sahifa in an async program, a test's browser driver)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make_coroutine())
        return
    import threading

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="sahifa-fetch")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _due(next_fetch_at: datetime | None, now: datetime) -> bool:
    return next_fetch_at is None or next_fetch_at <= now


async def _fetch_all(config, store, seeds, due, rows, report, transport, clock, progress, workers, fixtures):
    from .neardup import NearDuplicates

    since = clock() - timedelta(days=NEAR_WINDOW_DAYS)
    near = NearDuplicates(loader=lambda: store.signatures(since))
    pool: Executor | None = None
    count = workers if workers is not None else (min(os.cpu_count() or 1, 8) if len(due) >= POOL_FROM else 0)
    if count:
        import multiprocessing

        pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("forkserver"))
    stage = progress.stage("fetching feeds", len(due), "feeds")
    loop = asyncio.get_running_loop()
    db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sahifa-feed-db")
    try:
        settings = http_settings(config)
        if fixtures:
            from dataclasses import replace

            settings = replace(settings, host_delay=0.0)
        async with Fetcher(settings, transport=transport) as fetcher:
            tasks = [
                asyncio.ensure_future(
                    _one_feed(config, store, fetcher, pool, db_thread, feed, rows[feed.url], clock)
                )
                for feed in due
            ]
            for next_done in asyncio.as_completed(tasks):
                feed, answer, drafts, outcome, started = await next_done
                # Writing (SQLite, fsync) runs on the database's own thread: the event loop
                # keeps every other feed's transfer going meanwhile.
                await loop.run_in_executor(
                    db_thread,
                    _store_feed,
                    config,
                    store,
                    seeds,
                    near,
                    feed,
                    rows[feed.url],
                    answer,
                    drafts,
                    outcome,
                    clock,
                    started,
                )
                report.outcomes.append(outcome)
                report.new += outcome.new
                report.copies += outcome.copies
                if outcome.error:
                    report.failed += 1
                elif outcome.status == 304:
                    report.not_modified += 1
                if outcome.moved_to and outcome.error is None:  # moved to a feed, not to a page
                    report.moved.append((feed.url, outcome.moved_to))
                stage.label = f"fetching feeds: {report.new} new, {report.failed} failed,"
                stage.advance()
    finally:
        progress.clear()
        db_thread.shutdown(wait=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _fresh_entries(store: FeedStore, feed_id: int, entries) -> list[Entry]:
    """The entries this feed never brought before: new stories, or another outlet's story
    that this feed carries too (it joins that story's carriers)."""
    fresh = []
    for entry in entries:
        if not (entry.guid or entry.link) or store.seen_in_feed(feed_id, entry.guid, entry.link):
            continue
        known = store.known_item(entry.guid, entry.link, feed_id=feed_id)
        if known is not None and known.feed_id == feed_id:
            continue
        fresh.append(entry)
    return fresh


async def _one_feed(config, store, fetcher, pool, db_thread, feed: FeedConfig, row, clock):
    """Network and CPU work for one feed; nothing is written here."""
    started = time.monotonic()
    outcome = FeedOutcome(feed.url, feed.name)
    loop = asyncio.get_running_loop()

    async def cpu(func, *args):
        if pool is None:
            return func(*args)
        return await loop.run_in_executor(pool, func, *args)

    async def db(func, *args):
        return await loop.run_in_executor(db_thread, func, *args)

    try:
        answer = await fetcher.get(
            feed.url, etag=row.etag, last_modified=row.last_modified, accept=FEED_ACCEPT
        )
    except FetchError as exc:
        outcome.error, outcome.status = str(exc), exc.status
        return feed, None, [], outcome, started
    outcome.status = answer.status
    outcome.moved_to = answer.moved_to
    if answer.status == 304:
        return feed, answer, [], outcome, started
    try:
        parsed = await cpu(_read_feed, answer.body, answer.url, answer.content_type, feed.max_items)
    except FeedError as exc:
        outcome.error = str(exc)
        return feed, answer, [], outcome, started
    except Exception as exc:  # noqa: BLE001 - a feed no reader survives is that feed's error
        outcome.error = f"the feed cannot be read ({type(exc).__name__}: {str(exc)[:160]})"
        return feed, answer, [], outcome, started
    outcome.warnings.extend(parsed.warnings)
    if parsed.total > feed.max_items:
        outcome.warnings.append(f"the feed lists {parsed.total} items; the newest {feed.max_items} were read")
    fresh = await db(_fresh_entries, store, row.id, parsed.entries)
    unidentified = sum(1 for entry in parsed.entries if not (entry.guid or entry.link))
    if unidentified:
        outcome.warnings.append(f"{unidentified} item(s) have neither a GUID nor a link; skipped")
    rules = item_rules(config, feed)

    async def page_for(entry: Entry) -> Page | None:
        if not needs_page(entry, rules):
            return None
        try:
            got = await fetcher.get(entry.link, accept=PAGE_ACCEPT, public_only=feed.url)
        except FetchError as exc:
            outcome.warnings.append(
                f"{entry.link[:100]}: the page could not be fetched ({exc}); the feed's text is used"
            )
            return None
        return Page(got.url, got.body, got.content_type)

    pages = await asyncio.gather(*(page_for(entry) for entry in fresh))
    now = clock()
    jobs = [(entry, rules, page, now) for entry, page in zip(fresh, pages, strict=True)]
    try:
        results = await cpu(_prepare_many, jobs) if jobs else []
    except Exception as exc:  # noqa: BLE001 - one hostile item: that feed's error, the others go on
        outcome.error = f"an item cannot be read ({type(exc).__name__}: {str(exc)[:160]})"
        return feed, answer, [], outcome, started
    drafts = [(entry, draft, raw) for (entry, *_), (draft, raw) in zip(jobs, results, strict=True)]
    return feed, answer, drafts, outcome, started


def _store_feed(
    config, store, seeds, near, feed, row, answer: Answer | None, drafts, outcome, clock, started
):
    """Write one feed's new stories and its state (this process only: one writer)."""
    now = clock()
    _store_items(store, seeds, near, feed, row, drafts, outcome)
    duration = int((time.monotonic() - started) * 1000)
    if outcome.error is not None:
        backoff = min(MAX_BACKOFF, max(feed.min_interval, 300.0) * 2 ** min(row.error_count, 8))
        store.record_failure(
            row.id, error=outcome.error, status=outcome.status, next_fetch_at=now + timedelta(seconds=backoff)
        )
    else:
        wait = max(feed.min_interval, _server_wait(answer))
        store.record_success(
            row.id,
            status=answer.status,
            etag=answer.etag,
            last_modified=answer.last_modified,
            next_fetch_at=now + timedelta(seconds=wait),
        )
    store.log_fetch(
        row.id, status=outcome.status, new_items=outcome.new, error=outcome.error, duration_ms=duration
    )


def _store_items(store, seeds, near, feed, row, drafts, outcome) -> None:
    """Each draft is a story already here (another outlet's: this feed joins its carriers), a
    copy of one (by identity or by text, in the database or earlier in this batch), or new;
    the new ones are written in one batch."""
    batch: list[tuple[Entry, Draft, bytes]] = []
    in_batch: dict[str, int] = {}
    for entry, draft, raw in drafts:
        keys = [k for k in (entry.guid and f"g:{entry.guid}", entry.link, draft.canonical_url) if k]
        # (the links match in every feed; only the GUID is this feed's own)
        existing = store.known_item(entry.guid, entry.link, draft.canonical_url, feed_id=row.id)
        batch_copy = next((in_batch[k] for k in keys if k in in_batch), None)
        if existing is None and batch_copy is None:
            found = near.find(draft.lang, draft.signature)
            if found is not None and found < 0:
                batch_copy = -found - 1
            elif found is not None:
                existing = store.get_item(found)
        if existing is not None:
            if existing.feed_id != row.id and not any(
                c["feed_id"] == row.id for c in store.carriers(existing.id)
            ):
                store.add_carrier(
                    seeds,
                    existing.id,
                    row.id,
                    name=feed.name,
                    guid=entry.guid,
                    url=entry.link,
                    canonical_url=draft.canonical_url,
                )
                outcome.copies += 1
            continue
        if batch_copy is not None:
            continue  # the feed lists one story twice (or two copies of it): the first is kept
        index = len(batch)
        for key in keys:
            in_batch[key] = index
        near.add(-index - 1, draft.lang, draft.signature)
        batch.append((entry, draft, raw))
    new = [
        NewItem(
            name=draft.name,
            text=draft.text,
            sidecar=draft.sidecar,
            guid=entry.guid,
            url=entry.link,
            canonical_url=draft.canonical_url,
            content_hash=_content_hash(draft.text),
            published_at=draft.published,
            lang=draft.lang,
            minhash=draft.signature,
            raw=raw,
        )
        for entry, draft, raw in batch
    ]
    try:
        items = store.write_items(seeds, row.id, new)
    except FeedStoreError as exc:  # one bad item (a name taken by an editor's file...): one by one
        outcome.warnings.append(str(exc))
        items = []
        for one in new:
            try:
                items.append(store.write_items(seeds, row.id, [one])[0])
            except FeedStoreError as error:
                outcome.warnings.append(str(error))
                items.append(None)
    for index, ((_entry, draft, _raw), item) in enumerate(zip(batch, items, strict=True)):
        near.rekey(-index - 1, item.id if item is not None else None)
        if item is not None:
            outcome.new += 1
            outcome.warnings.extend(f"{item.seed_path}: {w}" for w in draft.warnings)


def _content_hash(text: str) -> str:
    import hashlib

    from .textnorm import match_key

    return hashlib.sha256(match_key(text).encode("utf-8")).hexdigest()


def _server_wait(answer: Answer | None) -> float:
    """Seconds the server asks us to wait (``Cache-Control: max-age``), at most a day."""
    if answer is None:
        return 0.0
    import re

    match = re.search(r"max-age\s*=\s*(\d+)", answer.headers.get("cache-control", ""))
    return min(float(match.group(1)), MAX_BACKOFF) if match else 0.0


def _rebuild_offline(config: SiteConfig, store: FeedStore, seeds: Path) -> int:
    """Make every untouched stored story's seed again from what was fetched."""
    by_id = {row.id: row for row in store.feeds()}
    subs = {feed.url: feed for feed in config.feeds}
    count = 0
    for item in store.items("written"):
        if item.raw is None:
            continue
        feed_row = by_id.get(item.feed_id)
        feed = subs.get(feed_row.url) if feed_row else None
        if feed is None:
            continue
        entry, page, fetched_at = unpack_raw(item.raw)
        draft = make_draft(entry, item_rules(config, feed), extracted=page, fetched_at=fetched_at)
        sidecar = dict(draft.sidecar)
        for carrier in store.carriers(item.id):
            carrier_feed = by_id.get(carrier["feed_id"])
            if carrier_feed and carrier_feed.name not in sidecar["source"]:
                sidecar["source"] = [*sidecar["source"], carrier_feed.name]
        if store.rewrite_seed(seeds, item.id, text=draft.text, sidecar=sidecar):
            count += 1
    return count
