"""The fetcher's SQLite state (generator/feedstore.py): schema and migrations, the one-writer
lock, deduplication, seeds written crash-safely (SIGKILL at every step), tombstones, expiry
and failure reporting."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import feedstore
from generator.feedstore import FeedStore, FeedStoreError, seed_digest
from generator.lock import Busy

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "state" / "feeds.sqlite", tmp_path / "seeds"


def _write(store: FeedStore, seeds: Path, feed_id: int, n: int, **extra):
    fields = {"guid": f"guid-{n}", "url": f"https://example.org/news/{n}"} | extra
    return store.write_item(
        seeds,
        feed_id,
        name=f"story-{n}",
        text=f"خبر رقم {n}\n\nنص الخبر.\n",
        sidecar={"title": f"Story {n}", "language": "ar"},
        **fields,
    )


def assert_consistent(store: FeedStore, seeds: Path) -> None:
    """No pending row; every written row's two files are there with its digest; every file
    under the seeds belongs to a stored item (no orphan, no partial file)."""
    assert store.items("pending") == []
    expected: set[Path] = set()
    for item in store.items():
        txt = seeds / item.seed_path
        yml = txt.with_suffix(".yml")
        if item.state == "written":
            assert seed_digest(txt.read_bytes(), yml.read_bytes()) == item.seed_hash
        expected |= {txt, yml}  # a deleted seed's sidecar may stay behind
    on_disk = {p for p in seeds.rglob("*") if p.is_file()} if seeds.exists() else set()
    assert on_disk <= expected, f"orphan files: {sorted(on_disk - expected)}"
    assert not [p for p in on_disk if p.name.endswith(feedstore.PARTIAL_SUFFIX)]


# --- schema, pragmas, lock ------------------------------------------------------------------


def test_migrations_run_once_and_set_user_version(site, monkeypatch):
    db, _ = site
    calls = []

    def counting(real):
        def run(conn):
            calls.append(real.__name__)
            real(conn)

        return run

    monkeypatch.setattr(feedstore, "MIGRATIONS", tuple(counting(m) for m in feedstore.MIGRATIONS))
    with FeedStore.open(db) as store:
        assert store.schema_version == feedstore.SCHEMA_VERSION == 2
        store.upsert_feed("https://example.org/rss", "Example")
    with FeedStore.open(db) as store:
        assert store.schema_version == 2
        assert [f.url for f in store.feeds()] == ["https://example.org/rss"]
    assert calls == ["_v1", "_v2"]
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "items", "fetch_log", "carriers"} <= tables


def test_a_version_1_database_is_migrated_with_its_rows(site, monkeypatch):
    db, seeds = site
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db)
    feedstore._v1(conn)
    conn.execute(
        "INSERT INTO feeds (url, name, slug) VALUES ('https://example.org/rss', 'Example', 'example')"
    )
    conn.execute(
        "INSERT INTO items (feed_id, guid, first_seen_at, seed_path, seed_hash, state) "
        "VALUES (1, 'g1', '2026-01-01T00:00:00.000000Z', 'example/a.txt', 'x', 'written')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with FeedStore.open(db) as store:
        assert store.schema_version == 2
        (item,) = store.items()
        assert (item.guid, item.state, item.lang, item.minhash) == ("g1", "written", None, None)
    columns = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(items)")]
    assert {"lang", "minhash", "pending_hash"} <= set(columns)


def test_a_database_newer_than_the_code_is_refused(site):
    db, _ = site
    with FeedStore.open(db):
        pass
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {feedstore.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(FeedStoreError, match="newer") as caught:
        with FeedStore.open(db):
            pass
    assert caught.value.path == str(db)


def test_a_file_that_is_not_a_database_is_refused(site):
    db, _ = site
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is no database at all, just some text " * 40)
    with pytest.raises(FeedStoreError) as caught:
        with FeedStore.open(db):
            pass
    assert caught.value.path == str(db)


def test_wal_foreign_keys_and_busy_timeout(site):
    db, _ = site
    with FeedStore.open(db) as store:
        conn = store._db
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == feedstore.BUSY_TIMEOUT_MS
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO items (feed_id, first_seen_at, seed_path, seed_hash) VALUES (99, 'x', 'a', 'b')"
            )
    # WAL is a property of the file: a plain connection sees it too
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_second_writer_is_refused_naming_the_lock_file(site):
    db, _ = site
    lock = db.with_name(db.name + ".lock")
    with FeedStore.open(db):
        with pytest.raises(Busy) as caught:
            with FeedStore.open(db):
                pass
        assert caught.value.path == str(lock)
        assert str(lock) in str(caught.value)
        # another process too
        code = f"from pathlib import Path\nfrom generator.feedstore import FeedStore\nwith FeedStore.open(Path({str(db)!r})): pass\n"
        run = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert run.returncode != 0
        assert "Busy" in run.stderr and str(lock) in run.stderr
    with FeedStore.open(db):  # released when the first closes
        pass


# --- feeds ----------------------------------------------------------------------------------


def test_upsert_feed_keeps_id_and_folder(site):
    db, _ = site
    with FeedStore.open(db) as store:
        first = store.upsert_feed("https://example.org/rss", "Example News")
        again = store.upsert_feed("https://example.org/rss", "Renamed")
        assert again.id == first.id and again.name == "Renamed" and again.slug == first.slug == "example-news"
        other = store.upsert_feed("https://other.org/rss", "Other", slug="other")
        assert other.slug == "other"
        with pytest.raises(FeedStoreError, match="already writes"):
            store.upsert_feed("https://third.org/rss", "Third", slug="other")
        with pytest.raises(FeedStoreError, match="plain file name"):
            store.upsert_feed("https://fourth.org/rss", "Fourth", slug="../up")


def test_validators_and_conditional_answers(site):
    db, _ = site
    clock = Clock()
    with FeedStore.open(db, clock=clock) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        assert store.validators(feed.id) == feedstore.Validators(None, None)
        store.record_success(feed.id, status=200, etag='"v1"', last_modified="Wed, 01 May 2024 08:00:00 GMT")
        clock.advance(hours=1)
        after_304 = store.record_success(feed.id, status=304)
        assert store.validators(feed.id) == feedstore.Validators('"v1"', "Wed, 01 May 2024 08:00:00 GMT")
        assert after_304.last_status == 304 and after_304.last_success_at == clock.now
        store.record_success(feed.id, status=200, etag='"v2"')
        assert store.validators(feed.id) == feedstore.Validators('"v2"', None)


def test_failures_count_and_are_reported_once(site):
    db, _ = site
    clock = Clock()
    with FeedStore.open(db, clock=clock) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        healthy = store.upsert_feed("https://fine.org/rss", "Fine")
        store.record_success(healthy.id)
        first = store.record_failure(feed.id, error="HTTP 500", status=500)
        assert first.error_count == 1 and first.failing_since == START
        clock.advance(hours=3)
        later = store.record_failure(feed.id, error="timed out")
        assert later.error_count == 2 and later.failing_since == START  # kept from the first failure
        assert later.last_error == "timed out" and later.last_error_at == clock.now
        assert store.claim_failure_reports(timedelta(hours=6)) == []  # not failing long enough
        clock.advance(hours=4)
        store.record_failure(feed.id, error="timed out")
        reported = store.claim_failure_reports(timedelta(hours=6))
        assert [f.id for f in reported] == [feed.id]
        assert store.get_feed(feed.id).failure_reported
        clock.advance(hours=1)
        store.record_failure(feed.id, error="timed out")
        assert store.claim_failure_reports(timedelta(hours=6)) == []  # reported once only
        ok = store.record_success(feed.id, etag='"x"')
        assert (ok.error_count, ok.failing_since, ok.failure_reported) == (0, None, False)
        assert ok.last_error == "timed out"  # kept for feeds status
        store.record_failure(feed.id, error="HTTP 503", status=503)
        clock.advance(hours=7)
        assert [f.id for f in store.claim_failure_reports(timedelta(hours=6))] == [feed.id]  # a new run


def test_fetch_log_and_feed_status(site):
    db, seeds = site
    clock = Clock()
    with FeedStore.open(db, clock=clock) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        quiet = store.upsert_feed("https://quiet.org/rss", "Quiet")
        _write(store, seeds, feed.id, 1)
        clock.advance(hours=30)
        _write(store, seeds, feed.id, 2)
        _write(store, seeds, feed.id, 3)
        store.record_success(feed.id)
        store.log_fetch(feed.id, status=200, new_items=2, duration_ms=120)
        store.record_failure(quiet.id, error="DNS failure")
        store.log_fetch(quiet.id, status=None, error="DNS failure", duration_ms=5)
        status = {s.feed.slug: s for s in store.feed_status()}
        assert status["example"].new_items_last_day == 2
        assert status["example"].feed.last_success_at == clock.now
        assert status["quiet"].new_items_last_day == 0 and status["quiet"].feed.last_error == "DNS failure"
        log = store.fetch_log(feed.id)
        assert [(e["status"], e["new_items"], e["duration_ms"]) for e in log] == [(200, 2, 120)]
        assert log[0]["at"] == "2024-05-02T14:00:00.000000Z"


# --- items ----------------------------------------------------------------------------------


def test_write_item_creates_both_files_and_a_written_row(site):
    db, seeds = site
    published = datetime(2024, 5, 1, 10, 30, tzinfo=timedelta_zone(3))
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        item = _write(
            store, seeds, feed.id, 1, published_at=published, source_id="sputnik", content_hash="c1"
        )
        txt, yml = seeds / "example" / "story-1.txt", seeds / "example" / "story-1.yml"
        assert item.state == "written" and item.seed_path == "example/story-1.txt"
        assert txt.read_text(encoding="utf-8") == "خبر رقم 1\n\nنص الخبر.\n"
        assert yaml.safe_load(yml.read_text(encoding="utf-8")) == {"title": "Story 1", "language": "ar"}
        assert item.seed_hash == seed_digest(txt.read_bytes(), yml.read_bytes())
        assert item.published_at == published and item.published_at.tzinfo == UTC
        assert item.source_id == "sputnik" and item.content_hash == "c1"
        assert_consistent(store, seeds)
        raw = store._db.execute("SELECT published_at FROM items").fetchone()[0]
        assert raw == "2024-05-01T07:30:00.000000Z"
        with pytest.raises(FeedStoreError, match="already"):  # the same story again
            _write(store, seeds, feed.id, 1)
        with pytest.raises(ValueError, match="naive"):
            _write(store, seeds, feed.id, 9, published_at=datetime(2024, 5, 1))


def timedelta_zone(hours: int):
    from datetime import timezone

    return timezone(timedelta(hours=hours))


def test_known_item_by_guid_url_or_canonical_url(site):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        other = store.upsert_feed("https://other.org/rss", "Other")
        item = _write(
            store,
            seeds,
            feed.id,
            1,
            guid="urn:uuid:1",
            url="https://example.org/a?utm=rss",
            canonical_url="https://example.org/a",
        )
        assert store.known_item() is None
        assert store.known_item(guid="urn:uuid:1").id == item.id
        assert store.known_item(url="https://example.org/a?utm=rss").id == item.id
        assert store.known_item(canonical_url="https://example.org/a").id == item.id
        # another outlet links to the first one's canonical URL
        assert store.known_item(guid="x", url="https://example.org/a").id == item.id
        assert store.known_item(guid="nothing", url="https://example.org/b") is None
        # GUIDs limited to one feed when asked
        assert store.known_item(guid="urn:uuid:1", feed_id=other.id) is None
        assert store.known_item(guid="urn:uuid:1", feed_id=feed.id).id == item.id
        with pytest.raises(FeedStoreError, match="already stored"):
            _write(store, seeds, other.id, 2, guid="new", url="https://example.org/a")


def test_seed_paths_cannot_escape_the_seeds_folder(site, tmp_path):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        for name in ("../escape", "a/b", "..", ".hidden", "", "x\x00y", "c:d"):
            with pytest.raises(FeedStoreError):
                store.write_item(seeds, feed.id, name=name, text="t", sidecar={})
        # the feed's folder is a link to somewhere else
        outside = tmp_path / "outside"
        outside.mkdir()
        linked = store.upsert_feed("https://linked.org/rss", "Linked")
        seeds.mkdir(exist_ok=True)
        (seeds / linked.slug).symlink_to(outside)
        with pytest.raises(FeedStoreError, match="outside the seeds folder") as caught:
            store.write_item(seeds, linked.id, name="story", text="t", sidecar={})
        assert "story.txt" in caught.value.path
        assert list(outside.iterdir()) == []
        assert store.items() == []


def test_an_existing_file_is_never_overwritten(site):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        (seeds / "example").mkdir(parents=True)
        (seeds / "example" / "story-1.txt").write_text("an editor's own seed", encoding="utf-8")
        with pytest.raises(FeedStoreError, match="never overwrites") as caught:
            _write(store, seeds, feed.id, 1)
        assert caught.value.path.endswith("story-1.txt")
        assert (seeds / "example" / "story-1.txt").read_text(encoding="utf-8") == "an editor's own seed"
        assert store.items() == []


def test_a_failed_write_leaves_nothing(site, monkeypatch):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        real = feedstore._durable_write

        def failing(path, data, checkpoint, **options):
            if path.suffix == ".yml":
                raise OSError(28, "No space left on device")
            real(path, data, checkpoint, **options)

        monkeypatch.setattr(feedstore, "_durable_write", failing)
        with pytest.raises(OSError):
            _write(store, seeds, feed.id, 1)
        assert store.items() == []
        assert list((seeds / "example").iterdir()) == []


def test_reconcile_makes_tombstones_that_known_item_still_finds(site):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        items = [_write(store, seeds, feed.id, n) for n in range(4)]
        folder = seeds / "example"
        (folder / "story-0.txt").write_text("corrected by an editor\n", encoding="utf-8")
        (folder / "story-1.txt").unlink()
        (folder / "story-1.yml").unlink()
        (folder / "story-2.yml").write_text("title: Better title\n", encoding="utf-8")
        report = store.reconcile(seeds)
        assert report == feedstore.ReconcileReport(edited=2, deleted=1)
        states = {i.id: i.state for i in store.items()}
        assert [states[i.id] for i in items] == ["edited", "deleted", "edited", "written"]
        for n, item in enumerate(items[:3]):
            found = store.known_item(guid=f"guid-{n}")
            assert found.id == item.id and found.tombstone
        assert store.reconcile(seeds) == feedstore.ReconcileReport(0, 0)  # nothing new
        # an edited seed removed later is deleted; a deleted one that reappears stays deleted
        (folder / "story-0.txt").unlink()
        (folder / "story-1.txt").write_text("back\n", encoding="utf-8")
        assert store.reconcile(seeds) == feedstore.ReconcileReport(0, 1)
        assert store.known_item(guid="guid-0").state == "deleted"
        assert store.known_item(guid="guid-1").state == "deleted"
        with pytest.raises(FeedStoreError):  # never recreated
            _write(store, seeds, feed.id, 1)


def test_expire_forgets_old_items_but_keeps_tombstones(site):
    db, seeds = site
    clock = Clock()
    with FeedStore.open(db, clock=clock) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        _write(store, seeds, feed.id, 1)
        _write(store, seeds, feed.id, 2)
        store.log_fetch(feed.id, status=200, new_items=2)
        (seeds / "example" / "story-2.txt").unlink()
        store.reconcile(seeds)
        clock.advance(days=40)
        _write(store, seeds, feed.id, 3)
        store.log_fetch(feed.id, status=200, new_items=1)
        assert store.expire(30) == 1
        assert store.known_item(guid="guid-1") is None
        assert store.known_item(guid="guid-2").state == "deleted"
        assert store.known_item(guid="guid-3").state == "written"
        assert (seeds / "example" / "story-1.txt").exists()  # seeds are never touched
        assert [e["new_items"] for e in store.fetch_log(feed.id)] == [1]
        assert store.expire(30, tombstones=True) == 1
        assert store.known_item(guid="guid-2") is None
        assert store.known_item(guid="guid-3") is not None


# --- crash safety ---------------------------------------------------------------------------

CHILD = """
import sys
from pathlib import Path
from generator.feedstore import FeedStore
db, seeds = Path(sys.argv[1]), Path(sys.argv[2])
with FeedStore.open(db, seeds_dir=seeds) as store:
    feed = store.upsert_feed("https://example.org/rss", "Example")
    store.write_item(seeds, feed.id, name="killed", text="نص " * 5000, sidecar={"title": "عنوان"},
                     guid="killed-guid", url="https://example.org/killed")
print("survived")
"""

# moment -> what recover makes of the item
MOMENTS = {
    "after-pending": "discarded",
    "before-replace-yml": "discarded",
    "after-yml": "discarded",
    "before-replace-txt": "discarded",
    "after-txt": "completed",
    "after-written": "already written",
}


def _killed_at(moment: str, db: Path, seeds: Path) -> subprocess.CompletedProcess:
    """Run ``CHILD`` (a fetch writing one story) and let it be SIGKILLed at ``moment``."""
    env = dict(os.environ, **{feedstore.KILL_ENV: moment})
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), str(seeds)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr
    return run


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkill_during_write_item_leaves_a_consistent_state(site, moment):
    db, seeds = site
    with FeedStore.open(db) as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        _write(store, seeds, feed.id, 1)  # an earlier story that must survive untouched
    run = _killed_at(moment, db, seeds)
    assert "survived" not in run.stdout
    folder = seeds / "example"
    # the kill happened where it was asked to
    state = sqlite3.connect(db).execute("SELECT state FROM items WHERE guid = 'killed-guid'").fetchone()
    assert state == (("written",) if moment == "after-written" else ("pending",))
    assert (folder / "killed.txt").exists() == (moment in ("after-txt", "after-written"))
    assert (folder / "killed.yml").exists() == (
        moment in ("after-yml", "before-replace-txt", "after-txt", "after-written")
    )
    assert (folder / ".killed.txt.partial").exists() == (moment == "before-replace-txt")
    assert (folder / ".killed.yml.partial").exists() == (moment == "before-replace-yml")

    with FeedStore.open(db) as store:
        report = store.recover(seeds)
        expected = MOMENTS[moment]
        if expected == "discarded":
            assert report == feedstore.RecoverReport(completed=0, discarded=1)
        elif expected == "completed":
            assert report == feedstore.RecoverReport(completed=1, discarded=0)
        else:
            assert report == feedstore.RecoverReport(0, 0)
        assert_consistent(store, seeds)
        assert store.known_item(guid="guid-1").state == "written"
        killed = store.known_item(guid="killed-guid")
        if expected == "discarded":
            assert killed is None
            assert sorted(p.name for p in folder.iterdir()) == ["story-1.txt", "story-1.yml"]
            # the next fetch writes it afresh
            store.write_item(seeds, 1, name="killed", text="again", sidecar={}, guid="killed-guid")
            assert_consistent(store, seeds)
        else:
            assert killed.state == "written"
            assert (folder / "killed.txt").read_text(encoding="utf-8") == "نص " * 5000


def test_open_with_the_seeds_folder_recovers(site):
    db, seeds = site
    _killed_at("after-yml", db, seeds)
    with FeedStore.open(db, seeds_dir=seeds) as store:
        assert store.items() == []
        assert_consistent(store, seeds)


# --- property: any mix of fetches and editors keeps the invariants --------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 6)),
        st.tuples(st.just("edit-txt"), st.integers(0, 6)),
        st.tuples(st.just("edit-yml"), st.integers(0, 6)),
        st.tuples(st.just("delete"), st.integers(0, 6)),
        st.tuples(st.just("reconcile"), st.just(0)),
    ),
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_writes_edits_deletes_and_reconciles_keep_invariants(ops):
    with tempfile.TemporaryDirectory() as tmp:
        db, seeds = Path(tmp) / "feeds.sqlite", Path(tmp) / "seeds"
        with FeedStore.open(db) as store:
            feed = store.upsert_feed("https://example.org/rss", "Example")
            model: dict[int, str] = {}  # story -> state expected after the next reconcile
            seen: dict[int, str] = {}  # story -> state reconcile last saw
            for op, n in ops:
                txt = seeds / "example" / f"story-{n}.txt"
                if op == "write":
                    known = store.known_item(guid=f"guid-{n}")
                    if n in model:
                        assert known is not None  # a stored story, tombstone or not, is found
                        with pytest.raises(FeedStoreError):
                            _write(store, seeds, feed.id, n)
                    else:
                        assert known is None
                        _write(store, seeds, feed.id, n)
                        model[n] = seen[n] = "written"
                elif n in model and txt.exists():
                    if op == "delete":
                        txt.unlink()
                        model[n] = "deleted"
                    else:
                        target = txt if op == "edit-txt" else txt.with_suffix(".yml")
                        with target.open("a", encoding="utf-8") as fh:
                            fh.write("# an editor was here\n")
                        if model[n] == "written":
                            model[n] = "edited"
                elif op == "reconcile":
                    store.reconcile(seeds)
                    seen = dict(model)
                states = {int(i.guid.split("-")[1]): i.state for i in store.items()}
                assert states == seen
                for n2, state in states.items():
                    path = seeds / "example" / f"story-{n2}.txt"
                    assert path.exists() == (model[n2] != "deleted")
            store.reconcile(seeds)
            assert {int(i.guid.split("-")[1]): i.state for i in store.items()} == model
            assert_consistent(store, seeds)


def test_recover_discards_a_pending_seed_whose_content_is_not_the_expected_one(site):
    db, seeds = site
    _killed_at("after-txt", db, seeds)
    txt = seeds / "example" / "killed.txt"
    txt.write_bytes(txt.read_bytes()[:100])  # as if cut short
    with FeedStore.open(db) as store:
        assert store.recover(seeds) == feedstore.RecoverReport(completed=0, discarded=1)
        assert store.items() == [] and not txt.exists()
        assert_consistent(store, seeds)
