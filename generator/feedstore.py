"""The feed fetcher's state in SQLite: subscribed feeds, the items already seen, a fetch log.

Nothing imports this yet; ``fetch`` (issue 15) will. One ``FeedStore`` is one writer:

    with FeedStore.open(site / ".sahifa" / "feeds.sqlite", seeds_dir=site / "seeds") as store:
        feed = store.upsert_feed("https://example.org/rss", "Example")
        if store.known_item(guid=..., url=..., canonical_url=...) is None:
            store.write_item(site / "seeds", feed.id, name=..., text=..., sidecar={...}, guid=...)

The database runs in WAL mode with ``synchronous=NORMAL``, foreign keys on and a busy timeout.
Its schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS`` is an ordered list, the
function at index ``i`` takes the schema from version ``i`` to ``i + 1`` in one transaction, so
adding version 2 is appending one function. A database written by a newer Sahifa is refused.
Only one process writes at a time: an exclusive, non-blocking ``flock`` on ``<db>.lock``
beside the database (a second writer, in this process or another, gets ``Busy`` naming it).

Every new item becomes a seed ``<seeds>/<feed slug>/<name>.txt`` plus its sidecar ``.yml``,
and a SIGKILL at any moment leaves the database and the seeds consistent:

1. the row is inserted as ``pending`` with its seed path and the digest the two files will have,
   in one committed (and, for this commit, fully synced) transaction;
2. each file, the sidecar first, is written to a hidden ``.<name>.yml.partial`` (the seed
   reader skips hidden files), fsynced and renamed into place (``os.replace``), then the
   folder is fsynced;
3. the row becomes ``written`` in a second transaction.

``recover`` (run by ``open`` when it is given the seeds folder) finishes what a killed run
left: a ``pending`` row whose two files are both there with the expected content becomes
``written``; any other ``pending`` row is deleted with its partial files. So no item is ever
marked fetched without its seed, and no half-written seed stays.

``reconcile`` notices what editors did: a seed whose ``.txt`` is gone makes its item
``deleted``, one whose text or sidecar changed makes it ``edited``. Both are tombstones:
``known_item`` still finds them, so a later fetch never writes that story again.

Timestamps are stored as ISO-8601 UTC text of one fixed shape (``2024-05-01T08:30:00.000000Z``),
so that comparing the text compares the times.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import SahifaError
from .lock import Busy
from .paths import safe_name

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

KILL_ENV = "SAHIFA_FEEDSTORE_KILL_AT"
"""Test-only: ``_checkpoint(name)`` kills this process with SIGKILL when this variable is ``name``."""

BUSY_TIMEOUT_MS = 5000
ITEM_STATES = ("pending", "written", "edited", "deleted")
TOMBSTONES = ("edited", "deleted")
PARTIAL_SUFFIX = ".partial"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_sidecar(fields: Mapping[str, Any]) -> bytes:
    """A sidecar's YAML (libyaml's emitter when PyYAML has it: a tenth of the time)."""
    return yaml.dump(dict(fields), Dumper=_Dumper, allow_unicode=True, sort_keys=False).encode("utf-8")


class FeedStoreError(SahifaError):
    """The feed database or a seed it manages cannot be used as asked (``path`` names the file)."""


# --- schema -------------------------------------------------------------------------------


def _v1(db: sqlite3.Connection) -> None:
    """Version 1: feeds, items and the fetch log."""
    for statement in (
        """CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            etag TEXT,
            last_modified TEXT,
            last_status INTEGER,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            failing_since TEXT,
            failure_reported INTEGER NOT NULL DEFAULT 0 CHECK (failure_reported IN (0, 1)),
            next_fetch_at TEXT
        )""",
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            guid TEXT,
            url TEXT,
            canonical_url TEXT,
            content_hash TEXT,
            first_seen_at TEXT NOT NULL,
            published_at TEXT,
            source_id TEXT,
            seed_path TEXT NOT NULL UNIQUE,
            seed_hash TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'written', 'edited', 'deleted'))
        )""",
        "CREATE INDEX items_guid ON items(guid)",
        "CREATE INDEX items_url ON items(url)",
        "CREATE INDEX items_canonical_url ON items(canonical_url)",
        "CREATE INDEX items_content_hash ON items(content_hash)",
        "CREATE INDEX items_feed_seen ON items(feed_id, first_seen_at)",
        "CREATE INDEX items_state ON items(state)",
        """CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            status INTEGER,
            new_items INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            duration_ms INTEGER
        )""",
        "CREATE INDEX fetch_log_feed_at ON fetch_log(feed_id, at)",
    ):
        db.execute(statement)


def _v2(db: sqlite3.Connection) -> None:
    """Version 2: near-duplicate signatures, the item as fetched (``raw``: what ``fetch
    --offline`` makes the seed from again), the outlets that also carry a story, and a seed
    rewrite in progress (``pending_hash``)."""
    for statement in (
        "ALTER TABLE items ADD COLUMN lang TEXT",
        "ALTER TABLE items ADD COLUMN minhash BLOB",
        "ALTER TABLE items ADD COLUMN pending_hash TEXT",
        "ALTER TABLE items ADD COLUMN raw BLOB",
        "ALTER TABLE items ADD COLUMN seed_stat TEXT",
        """CREATE TABLE carriers (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            guid TEXT,
            url TEXT,
            canonical_url TEXT,
            first_seen_at TEXT NOT NULL
        )""",
        "CREATE INDEX carriers_item ON carriers(item_id)",
        "CREATE INDEX carriers_guid ON carriers(guid)",
        "CREATE INDEX carriers_url ON carriers(url)",
        "CREATE INDEX carriers_canonical_url ON carriers(canonical_url)",
        "CREATE INDEX items_lang_seen ON items(lang, first_seen_at)",
    ):
        db.execute(statement)


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
"""``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``. Append, never edit."""
SCHEMA_VERSION = len(MIGRATIONS)


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """One subscription and what the last fetches of it said."""

    id: int
    url: str
    name: str
    slug: str
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    error_count: int
    failing_since: datetime | None
    failure_reported: bool
    next_fetch_at: datetime | None


@dataclass(frozen=True)
class Item:
    """One story already seen; ``seed_path`` is relative to the seeds folder (POSIX form)."""

    id: int
    feed_id: int
    guid: str | None
    url: str | None
    canonical_url: str | None
    content_hash: str | None
    first_seen_at: datetime
    published_at: datetime | None
    source_id: str | None
    seed_path: str
    seed_hash: str
    state: str
    lang: str | None = None
    minhash: bytes | None = None
    pending_hash: str | None = None
    raw: bytes | None = None
    seed_stat: str | None = None

    @property
    def tombstone(self) -> bool:
        """An editor changed or removed the seed: the story must never be written again."""
        return self.state in TOMBSTONES


@dataclass(frozen=True)
class NewItem:
    """A story to store and write as a seed (``FeedStore.write_items``)."""

    name: str
    text: str
    sidecar: Mapping[str, Any]
    guid: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    content_hash: str | None = None
    published_at: datetime | None = None
    source_id: str | None = None
    lang: str | None = None
    minhash: bytes | None = None
    raw: bytes | None = None


@dataclass(frozen=True)
class Validators:
    """What a conditional GET sends back (``If-None-Match``, ``If-Modified-Since``)."""

    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FeedStatus:
    """One line of ``feeds status``."""

    feed: Feed
    new_items_last_day: int


@dataclass(frozen=True)
class RecoverReport:
    """What ``recover`` did with the items a killed run left ``pending``."""

    completed: int
    discarded: int


@dataclass(frozen=True)
class ReconcileReport:
    """Items whose seeds editors changed (``edited``) or removed (``deleted``) since last time."""

    edited: int
    deleted: int


_TIME_FIELDS = {
    "last_success_at",
    "last_error_at",
    "failing_since",
    "next_fetch_at",
    "first_seen_at",
    "published_at",
}


def _record(cls, row: sqlite3.Row):
    values = dict(row)
    for key in _TIME_FIELDS.intersection(values):
        values[key] = _from_ts(values[key])
    if "failure_reported" in values:
        values["failure_reported"] = bool(values["failure_reported"])
    return cls(**values)


# --- times, digests, files ----------------------------------------------------------------


def _ts(moment: datetime) -> str:
    """``moment`` (timezone-aware) as the stored UTC text."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be stored (give it a timezone): {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def seed_digest(text: bytes, sidecar: bytes | None) -> str:
    """sha256 of a seed's two files (a missing sidecar hashes differently from an empty one)."""
    h = hashlib.sha256()
    h.update(b"%d:" % len(text))
    h.update(text)
    h.update(b"-" if sidecar is None else b"+" + sidecar)
    return h.hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _stat_mark(txt: Path) -> str:
    """The stat signatures (``cache.file_signature``) of a seed's two files, as noted when the
    fetcher wrote them."""
    from .cache import file_signature

    return repr((file_signature(txt), file_signature(txt.with_suffix(".yml"))))


def _checkpoint(name: str) -> None:
    """Test-only hook: die here, as a SIGKILL would kill a fetch, when ``KILL_ENV`` says ``name``."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - systems that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}{PARTIAL_SUFFIX}")


def _durable_write(path: Path, data: bytes, checkpoint: str, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a hidden partial file: fsync (unless the caller
    syncs the whole batch), then one rename."""
    tmp = _partial(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        _checkpoint(checkpoint)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except IsADirectoryError:  # pragma: no cover - not ours to remove
        pass


def _take_lock(lock_path: Path) -> int | None:
    """An exclusive, non-blocking flock on ``lock_path``; ``Busy`` naming it when it is held.

    ``generator.lock.site_lock`` is not used: it waits for the holder, and it lets the same
    process in again, where this store must refuse every second writer at once.
    """
    if fcntl is None:  # pragma: no cover - Windows: no lock
        return None
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FeedStoreError(str(lock_path), f"cannot open the feed database's lock file: {exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(
            str(lock_path),
            "another Sahifa fetch is writing this feed database; run again when it has finished",
        ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


# --- the store ----------------------------------------------------------------------------


class FeedStore:
    """The fetcher's state. Make one with ``FeedStore.open`` (a context manager)."""

    def __init__(self, db: sqlite3.Connection, path: Path, clock: Callable[[], datetime]) -> None:
        self._db = db
        self.path = path
        self._clock = clock

    @classmethod
    @contextmanager
    def open(
        cls,
        path: Path,
        *,
        seeds_dir: Path | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> Iterator[FeedStore]:
        """Open (creating and migrating) the database at ``path`` as its only writer.

        With ``seeds_dir``, ``recover(seeds_dir)`` runs before the store is handed out.
        ``clock`` returns the current time (timezone-aware); tests replace it.
        Raises ``Busy`` when another writer holds ``<path>.lock``, ``FeedStoreError`` when the
        file is not a database of ours or was written by a newer Sahifa.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = _take_lock(path.with_name(path.name + ".lock"))
        db = None
        try:
            try:
                # One writer, which may be a worker thread of its own (``fetch`` keeps the
                # database off its event loop); never two threads at once.
                db = sqlite3.connect(
                    path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
                )
                db.row_factory = sqlite3.Row
                db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA foreign_keys = ON")
            except sqlite3.DatabaseError as exc:
                raise FeedStoreError(str(path), f"cannot open the feed database: {exc}") from None
            if str(mode).lower() != "wal":
                raise FeedStoreError(str(path), f"the feed database cannot use WAL journaling (got {mode!r})")
            store = cls(db, path, clock)
            store._migrate()
            if seeds_dir is not None:
                store.recover(seeds_dir)
            yield store
        finally:
            if db is not None:
                db.close()
            if lock_fd is not None:
                os.close(lock_fd)

    @classmethod
    @contextmanager
    def open_readonly(cls, path: Path) -> Iterator[FeedStore]:
        """Open the database for reading only (``feeds status``): no lock, so it works while a
        fetch is writing (WAL readers see the last committed state)."""
        path = Path(path)
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        except sqlite3.DatabaseError as exc:
            raise FeedStoreError(str(path), f"cannot open the feed database: {exc}") from None
        try:
            db.row_factory = sqlite3.Row
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                raise FeedStoreError(str(path), f"not a feed database: {exc}") from None
            if version != SCHEMA_VERSION:
                raise FeedStoreError(
                    str(path),
                    f"the feed database has schema version {version}, this Sahifa reads {SCHEMA_VERSION}; "
                    "run python build.py fetch once to bring it up to date",
                )
            yield cls(db, path, _utcnow)
        finally:
            db.close()

    # -- transactions and schema

    @contextmanager
    def _tx(self, *, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``durable``: this commit also survives a power cut
        (``synchronous=FULL`` for it; NORMAL in WAL mode is safe against a killed process only)."""
        if durable:
            self._db.execute("PRAGMA synchronous = FULL")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if durable:
                self._db.execute("PRAGMA synchronous = NORMAL")

    def _migrate(self) -> None:
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise FeedStoreError(str(self.path), f"not a feed database: {exc}") from None
        if version > SCHEMA_VERSION:
            raise FeedStoreError(
                str(self.path),
                f"the feed database has schema version {version}, newer than this Sahifa knows "
                f"(up to {SCHEMA_VERSION}); it was written by a newer Sahifa, so upgrade it "
                "(or move the file away to start afresh)",
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._tx() as db:
                MIGRATIONS[target - 1](db)
                db.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        """The database's ``PRAGMA user_version``."""
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    # -- feeds

    def upsert_feed(self, url: str, name: str, *, slug: str | None = None) -> Feed:
        """Add the feed at ``url`` or rename it; returns it.

        ``slug`` names its folder under the seeds (default: made from ``name`` when the feed is
        added). An existing feed keeps its folder unless ``slug`` is given.
        """
        if slug is None:
            from .urls import slugify

            new_slug = slugify(name, url)
        else:
            new_slug = slug
        if not safe_name(new_slug):
            raise FeedStoreError(url, f"the folder name {new_slug!r} is not a plain file name")
        if slug is None:  # two outlets of one name: the second gets news-2/
            taken = {row[0] for row in self._db.execute("SELECT slug FROM feeds WHERE url != ?", (url,))}
            base, n = new_slug, 2
            while new_slug in taken:
                new_slug, n = f"{base}-{n}", n + 1
        try:
            with self._tx() as db:
                db.execute(
                    "INSERT INTO feeds (url, name, slug) VALUES (?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = excluded.name"
                    + (", slug = excluded.slug" if slug is not None else ""),
                    (url, name, new_slug),
                )
        except sqlite3.IntegrityError:
            raise FeedStoreError(url, f"another feed already writes its seeds to {new_slug!r}") from None
        row = self._db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _record(Feed, row)

    def get_feed(self, feed_id: int) -> Feed:
        """The feed with this id (``KeyError`` if there is none)."""
        row = self._db.execute("SELECT * FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        if row is None:
            raise KeyError(f"no feed with id {feed_id}")
        return _record(Feed, row)

    def feeds(self) -> list[Feed]:
        """Every feed, in the order they were added."""
        return [_record(Feed, row) for row in self._db.execute("SELECT * FROM feeds ORDER BY id")]

    def validators(self, feed_id: int) -> Validators:
        """The ETag and Last-Modified to send with the next request for this feed."""
        feed = self.get_feed(feed_id)
        return Validators(feed.etag, feed.last_modified)

    def record_success(
        self,
        feed_id: int,
        *,
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        next_fetch_at: datetime | None = None,
    ) -> Feed:
        """A fetch answered (``status`` 200 or 304): store the validators and clear the failure.

        On 304 a validator given as None keeps the stored one; on any other status the given
        values replace the stored ones (None clears). The last error's text and time are kept
        for ``feeds status``; the error count, ``failing_since`` and ``failure_reported`` reset.
        """
        keep = status == 304
        with self._tx() as db:
            cur = db.execute(
                f"""UPDATE feeds SET
                    etag = {"COALESCE(?, etag)" if keep else "?"},
                    last_modified = {"COALESCE(?, last_modified)" if keep else "?"},
                    last_status = ?, last_success_at = ?, error_count = 0,
                    failing_since = NULL, failure_reported = 0, next_fetch_at = ?
                WHERE id = ?""",
                (etag, last_modified, status, _ts(self._clock()), _opt_ts(next_fetch_at), feed_id),
            )
            if cur.rowcount == 0:
                raise KeyError(f"no feed with id {feed_id}")
        return self.get_feed(feed_id)

    def record_failure(
        self,
        feed_id: int,
        *,
        error: str,
        status: int | None = None,
        next_fetch_at: datetime | None = None,
    ) -> Feed:
        """A fetch failed: count it; ``failing_since`` is set by the first failure in a row."""
        now = _ts(self._clock())
        with self._tx() as db:
            cur = db.execute(
                """UPDATE feeds SET
                    last_status = ?, last_error = ?, last_error_at = ?,
                    error_count = error_count + 1,
                    failing_since = COALESCE(failing_since, ?), next_fetch_at = ?
                WHERE id = ?""",
                (status, error, now, now, _opt_ts(next_fetch_at), feed_id),
            )
            if cur.rowcount == 0:
                raise KeyError(f"no feed with id {feed_id}")
        return self.get_feed(feed_id)

    def claim_failure_reports(self, after: timedelta) -> list[Feed]:
        """Feeds failing for at least ``after`` and not reported yet, now marked reported.

        So a failing feed is reported once; a success clears the mark, so its next run of
        failures is reported again.
        """
        cutoff = _ts(self._clock() - after)
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM feeds WHERE failing_since IS NOT NULL AND failing_since <= ? "
                "AND failure_reported = 0 ORDER BY id",
                (cutoff,),
            ).fetchall()
            db.executemany("UPDATE feeds SET failure_reported = 1 WHERE id = ?", [(r["id"],) for r in rows])
        return [_record(Feed, row) for row in rows]

    def log_fetch(
        self,
        feed_id: int,
        *,
        status: int | None,
        new_items: int = 0,
        error: str | None = None,
        duration_ms: int | None = None,
    ) -> None:
        """Append one line to the fetch log."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO fetch_log (feed_id, at, status, new_items, error, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (feed_id, _ts(self._clock()), status, new_items, error, duration_ms),
            )

    def fetch_log(self, feed_id: int) -> list[dict[str, Any]]:
        """The feed's fetch log, oldest first."""
        rows = self._db.execute("SELECT * FROM fetch_log WHERE feed_id = ? ORDER BY id", (feed_id,))
        return [dict(row) for row in rows]

    def feed_status(self) -> list[FeedStatus]:
        """Every feed with the number of items first seen in the last 24 hours."""
        since = _ts(self._clock() - timedelta(days=1))
        rows = self._db.execute(
            """SELECT feeds.*, (SELECT COUNT(*) FROM items
                   WHERE items.feed_id = feeds.id AND items.first_seen_at >= ?
                   AND items.state != 'pending') AS new_items_last_day
               FROM feeds ORDER BY feeds.id""",
            (since,),
        ).fetchall()
        result = []
        for row in rows:
            values = dict(row)
            count = values.pop("new_items_last_day")
            result.append(FeedStatus(_record(Feed, values), count))
        return result

    # -- items

    def known_item(
        self,
        guid: str | None = None,
        url: str | None = None,
        canonical_url: str | None = None,
        *,
        feed_id: int | None = None,
    ) -> Item | None:
        """The stored item (tombstones included) that any of the given identities matches.

        ``url`` and ``canonical_url`` are each compared with both stored URLs (a story linked
        by its canonical URL in one feed and carried under it in another is one story). A GUID
        matches in every feed, or only in ``feed_id``'s when that is given (for feeds whose
        GUIDs are bare numbers). Returns the oldest match, or None.
        """

        def where(table: str) -> tuple[str, list[Any]]:
            clauses: list[str] = []
            params: list[Any] = []
            if guid:
                clauses.append(
                    f"({table}.guid = ?" + (f" AND {table}.feed_id = ?)" if feed_id is not None else ")")
                )
                params += [guid, feed_id] if feed_id is not None else [guid]
            for link in dict.fromkeys(u for u in (url, canonical_url) if u):
                clauses.append(f"{table}.url = ? OR {table}.canonical_url = ?")
                params += [link, link]
            return " OR ".join(clauses), params

        clause, params = where("items")
        if not clause:
            return None
        row = self._db.execute(f"SELECT * FROM items WHERE {clause} ORDER BY id LIMIT 1", params).fetchone()
        if row is None:  # an outlet's copy of a story stored under another outlet's item
            clause, params = where("carriers")
            row = self._db.execute(
                "SELECT items.* FROM carriers JOIN items ON items.id = carriers.item_id "
                f"WHERE {clause} ORDER BY items.id LIMIT 1",
                params,
            ).fetchone()
        return None if row is None else _record(Item, row)

    def seen_in_feed(self, feed_id: int, guid: str | None, url: str | None) -> bool:
        """This feed brought this item before (as a story of its own or as a copy of another
        outlet's), known by its GUID or its link."""
        for table in ("items", "carriers"):
            clauses, params = [], [feed_id]
            if guid:
                clauses.append("guid = ?")
                params.append(guid)
            if url:
                clauses.append("url = ?")
                params.append(url)
            if not clauses:
                return False
            row = self._db.execute(
                f"SELECT 1 FROM {table} WHERE feed_id = ? AND ({' OR '.join(clauses)}) LIMIT 1", params
            ).fetchone()
            if row is not None:
                return True
        return False

    def get_item(self, item_id: int) -> Item:
        row = self._db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(f"no item with id {item_id}")
        return _record(Item, row)

    def signatures(self, since: datetime) -> list[tuple[int, str | None, bytes]]:
        """(item id, language, near-duplicate signature) of the items first seen since
        ``since`` that have one, oldest first (tombstones included: a deleted story stays
        deleted when another outlet carries it)."""
        rows = self._db.execute(
            "SELECT id, lang, minhash FROM items WHERE minhash IS NOT NULL AND first_seen_at >= ? "
            "AND state != 'pending' ORDER BY id",
            (_ts(since),),
        )
        return [(row[0], row[1], bytes(row[2])) for row in rows]

    def carriers(self, item_id: int) -> list[dict[str, Any]]:
        """The other outlets' copies recorded for a story, oldest first."""
        rows = self._db.execute("SELECT * FROM carriers WHERE item_id = ? ORDER BY id", (item_id,))
        return [dict(row) for row in rows]

    def add_carrier(
        self,
        seeds_dir: Path,
        item_id: int,
        feed_id: int,
        *,
        name: str,
        guid: str | None = None,
        url: str | None = None,
        canonical_url: str | None = None,
    ) -> bool:
        """Record that the feed ``feed_id`` (outlet ``name``) carries the stored story
        ``item_id`` too; while the seed is as the fetcher wrote it, ``name`` joins the
        ``source`` list of its sidecar (crash-safely: the new digest is noted as
        ``pending_hash`` before the file is replaced). An edited or deleted seed is never
        touched. Returns whether the sidecar changed."""
        item = self.get_item(item_id)
        now = _ts(self._clock())
        new_side = None
        if item.state == "written":
            txt = self._seed_file(Path(seeds_dir), item.seed_path)
            yml = txt.with_suffix(".yml")
            text, side = _read(txt), _read(yml)
            if text is not None and side is not None and seed_digest(text, side) == item.seed_hash:
                try:
                    fields = yaml.safe_load(side.decode("utf-8")) or {}
                except (yaml.YAMLError, UnicodeDecodeError):
                    fields = None
                if isinstance(fields, dict):
                    sources = fields.get("source") or []
                    sources = [sources] if isinstance(sources, str) else list(sources)
                    if name not in sources:
                        fields["source"] = [*sources, name]
                        new_side = dump_sidecar(fields)
        with self._tx(durable=new_side is not None) as db:
            db.execute(
                "INSERT INTO carriers (item_id, feed_id, guid, url, canonical_url, first_seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (item_id, feed_id, guid, url, canonical_url, now),
            )
            if new_side is not None:
                db.execute(
                    "UPDATE items SET pending_hash = ? WHERE id = ?", (seed_digest(text, new_side), item_id)
                )
        if new_side is None:
            return False
        _checkpoint("carrier-pending")
        self._finish_rewrite(item_id, txt, [(yml, new_side, "carrier-before-replace")], "carrier-written")
        return True

    def _finish_rewrite(self, item_id: int, txt: Path, writes, checkpoint: str | None = None) -> None:
        """The second half of a seed rewrite whose digest is noted as ``pending_hash``: the
        files replaced, the folder synced, the digest made the seed's (see ``recover``)."""
        for path, data, before in writes:
            _durable_write(path, data, before)
        _fsync_dir(txt.parent)
        if checkpoint:
            _checkpoint(checkpoint)
        with self._tx() as db:
            db.execute(
                "UPDATE items SET seed_hash = pending_hash, pending_hash = NULL, seed_stat = ? WHERE id = ?",
                (_stat_mark(txt), item_id),
            )

    def items(self, state: str | None = None) -> list[Item]:
        """Stored items (in one ``state``, or all), oldest first."""
        if state is None:
            rows = self._db.execute("SELECT * FROM items ORDER BY id")
        else:
            rows = self._db.execute("SELECT * FROM items WHERE state = ? ORDER BY id", (state,))
        return [_record(Item, row) for row in rows]

    def write_item(
        self, seeds_dir: Path, feed_id: int, *, name: str, text: str, sidecar: Mapping[str, Any], **fields
    ) -> Item:
        """Store one new item and write its seed (``write_items`` with one item)."""
        return self.write_items(
            seeds_dir, feed_id, [NewItem(name=name, text=text, sidecar=sidecar, **fields)]
        )[0]

    def write_items(self, seeds_dir: Path, feed_id: int, new: list[NewItem]) -> list[Item]:
        """Store new items of one feed and write each seed ``<seeds_dir>/<feed slug>/<name>.txt``
        with its sidecar ``<name>.yml`` (``sidecar`` dumped as YAML), crash-safely (see the
        module): one transaction marks them all pending, the files are written, one
        transaction marks them all written.

        Refuses (``FeedStoreError``, nothing written) an item that ``known_item`` already
        knows, a ``name`` that is not a plain file name or would land outside ``seeds_dir``,
        existing files, and two items of the batch with one name.
        """
        if not new:
            return []
        feed = self.get_feed(feed_id)
        seeds_dir = Path(seeds_dir)
        planned: list[tuple[NewItem, str, Path, Path, bytes, bytes, str]] = []
        names: set[str] = set()
        folder: Path | None = None
        for item in new:
            name = item.name
            if not safe_name(name) or name.endswith(PARTIAL_SUFFIX) or name in names:
                raise FeedStoreError(f"{feed.slug}/{name}", "a seed's name must be a plain, new file name")
            names.add(name)
            rel = f"{feed.slug}/{name}.txt"
            if folder is None:  # the feed's folder is checked once (the names are plain)
                txt = self._seed_file(seeds_dir, rel)
                txt.parent.mkdir(parents=True, exist_ok=True)
                txt = self._seed_file(seeds_dir, rel)  # again, now that the folder exists
                folder = txt.parent
            txt = folder / f"{name}.txt"
            yml = txt.with_suffix(".yml")
            for path in (txt, yml):
                if path.exists() or path.is_symlink():
                    raise FeedStoreError(str(path), "already exists; a fetch never overwrites a seed")
            existing = self.known_item(item.guid, item.url, item.canonical_url, feed_id=feed_id)
            if existing is not None:
                raise FeedStoreError(
                    str(txt), f"this story is already stored (item {existing.id}, {existing.seed_path})"
                )
            text_bytes = item.text.encode("utf-8")
            side_bytes = dump_sidecar(item.sidecar)
            planned.append((item, rel, txt, yml, text_bytes, side_bytes, seed_digest(text_bytes, side_bytes)))
        now = _ts(self._clock())
        ids: list[int] = []
        try:
            with self._tx(durable=True) as db:
                for item, rel, *_rest, digest in planned:
                    ids.append(
                        db.execute(
                            """INSERT INTO items (feed_id, guid, url, canonical_url, content_hash,
                                first_seen_at, published_at, source_id, seed_path, seed_hash, state,
                                lang, minhash, raw)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)""",
                            (
                                feed_id,
                                item.guid,
                                item.url,
                                item.canonical_url,
                                item.content_hash,
                                now,
                                _opt_ts(item.published_at),
                                item.source_id,
                                rel,
                                digest,
                                item.lang,
                                item.minhash,
                                item.raw,
                            ),
                        ).lastrowid
                    )
        except sqlite3.IntegrityError as exc:
            raise FeedStoreError(str(planned[0][2]), f"cannot store the item: {exc}") from None
        _checkpoint("after-pending")
        try:
            # The sidecar first: a lone sidecar is no seed, while a lone text would be read
            # by a build as a story without its date and sources until ``recover`` ran.
            for _item, _rel, txt, yml, text_bytes, side_bytes, _digest in planned:
                _durable_write(yml, side_bytes, "before-replace-yml")
                _checkpoint("after-yml")
                _durable_write(txt, text_bytes, "before-replace-txt")
            for folder in {entry[2].parent for entry in planned}:
                _fsync_dir(folder)
            _checkpoint("after-txt")
            marks = [(_stat_mark(entry[2]), i) for entry, i in zip(planned, ids, strict=True)]
            with self._tx() as db:
                db.executemany("UPDATE items SET state = 'written', seed_stat = ? WHERE id = ?", marks)
        except BaseException:
            # Not a kill (``recover`` handles those): undo, so that nothing half-done stays.
            for _item, _rel, txt, yml, *_ in planned:
                for path in (txt, yml, _partial(txt), _partial(yml)):
                    _unlink(path)
            with self._tx() as db:
                db.executemany("DELETE FROM items WHERE id = ? AND state = 'pending'", [(i,) for i in ids])
            raise
        _checkpoint("after-written")
        marks = ", ".join("?" for _ in ids)
        rows = self._db.execute(f"SELECT * FROM items WHERE id IN ({marks}) ORDER BY id", ids).fetchall()
        return [_record(Item, row) for row in rows]

    def rewrite_seed(self, seeds_dir: Path, item_id: int, *, text: str, sidecar: Mapping[str, Any]) -> bool:
        """Write a stored story's seed again (``fetch --offline``) when it is still exactly as
        the fetcher wrote it; an edited or deleted seed is never touched. Crash-safe like
        ``add_carrier``. Returns whether a file changed."""
        item = self.get_item(item_id)
        if item.state != "written":
            return False
        txt = self._seed_file(Path(seeds_dir), item.seed_path)
        yml = txt.with_suffix(".yml")
        old_text, old_side = _read(txt), _read(yml)
        if old_text is None or seed_digest(old_text, old_side) != item.seed_hash:
            return False
        text_bytes = text.encode("utf-8")
        side_bytes = dump_sidecar(sidecar)
        if (text_bytes, side_bytes) == (old_text, old_side):
            return False
        with self._tx(durable=True) as db:
            db.execute(
                "UPDATE items SET pending_hash = ? WHERE id = ?",
                (seed_digest(text_bytes, side_bytes), item_id),
            )
        self._finish_rewrite(
            item_id,
            txt,
            [
                (txt, text_bytes, "rewrite-before-replace-txt"),
                (yml, side_bytes, "rewrite-before-replace-yml"),
            ],
        )
        return True

    def move_feed(self, feed_id: int, url: str) -> Feed:
        """The feed's address changed for good (a permanent redirect): its state stays."""
        with self._tx() as db:
            db.execute("UPDATE feeds SET url = ? WHERE id = ?", (url, feed_id))
        return self.get_feed(feed_id)

    def recover(self, seeds_dir: Path) -> RecoverReport:
        """Finish or undo the items a killed run left ``pending`` (see the module)."""
        seeds_dir = Path(seeds_dir)
        completed = discarded = 0
        for item in self.items("pending"):
            try:
                txt = self._seed_file(seeds_dir, item.seed_path)
            except FeedStoreError:
                txt = None  # a path we would not have written: touch no file
            if txt is not None:
                yml = txt.with_suffix(".yml")
                text, side = _read(txt), _read(yml)
                if text is not None and side is not None and seed_digest(text, side) == item.seed_hash:
                    with self._tx() as db:
                        db.execute(
                            "UPDATE items SET state = 'written', seed_stat = ? WHERE id = ?",
                            (_stat_mark(txt), item.id),
                        )
                    completed += 1
                    continue
                for path in (txt, yml, _partial(txt), _partial(yml)):
                    _unlink(path)
                _fsync_dir(txt.parent)
            with self._tx() as db:
                db.execute("DELETE FROM items WHERE id = ?", (item.id,))
            discarded += 1
        for row in self._db.execute("SELECT * FROM items WHERE pending_hash IS NOT NULL").fetchall():
            item = _record(Item, row)
            try:
                txt = self._seed_file(seeds_dir, item.seed_path)
                digest = seed_digest(_read(txt) or b"", _read(txt.with_suffix(".yml")))
            except FeedStoreError:
                digest = None
            with self._tx() as db:
                # A rewrite (a new outlet in the sources, ``fetch --offline``) was killed: its
                # result is adopted when the files are exactly it; files that are neither the
                # old seed nor the new one are left to the editor (a tombstone).
                if digest == item.pending_hash:
                    db.execute(
                        "UPDATE items SET seed_hash = ?, seed_stat = ? WHERE id = ?",
                        (digest, _stat_mark(txt), item.id),
                    )
                elif digest != item.seed_hash and item.state == "written":
                    db.execute("UPDATE items SET state = 'edited' WHERE id = ?", (item.id,))
                db.execute("UPDATE items SET pending_hash = NULL WHERE id = ?", (item.id,))
        return RecoverReport(completed, discarded)

    def reconcile(self, seeds_dir: Path) -> ReconcileReport:
        """Turn the items whose seeds editors removed into ``deleted``, changed into ``edited``.

        A seed counts as removed when its ``.txt`` is gone, changed when its text or sidecar
        differs from what was written (a removed sidecar included). Tombstones stay tombstones.
        A seed whose two files have the size and modification time noted when they were
        written is not read again (an archive of 100,000 fetched stories is checked in a
        second).
        """
        seeds_dir = Path(seeds_dir)
        root = seeds_dir.resolve()
        edited = deleted = 0
        changes: list[tuple[str, int]] = []
        inside: dict[str, bool] = {}
        rows = self._db.execute(
            "SELECT id, seed_path, seed_hash, seed_stat, state FROM items WHERE state IN ('written', 'edited')"
        ).fetchall()
        for item_id, rel, seed_hash, stat, state in rows:
            folder = rel.rsplit("/", 1)[0]
            if folder not in inside:
                try:
                    inside[folder] = self._seed_file(seeds_dir, rel).parent.resolve().is_relative_to(root)
                except FeedStoreError:
                    inside[folder] = False
            txt = seeds_dir / rel
            if not inside[folder] or txt.is_symlink() or not txt.is_file():
                changes.append(("deleted", item_id))  # gone, or not a seed of ours any more
                deleted += 1
                continue
            if state != "written" or (stat is not None and stat == _stat_mark(txt)):
                continue
            if seed_digest(_read(txt) or b"", _read(txt.with_suffix(".yml"))) != seed_hash:
                changes.append(("edited", item_id))
                edited += 1
        if changes:
            with self._tx() as db:
                db.executemany("UPDATE items SET state = ? WHERE id = ?", changes)
        return ReconcileReport(edited, deleted)

    def expire(self, days: float, *, tombstones: bool = False) -> int:
        """Forget the items first seen more than ``days`` ago, and older fetch-log lines.

        Tombstones (edited or deleted seeds) are kept unless ``tombstones`` is true: they are
        the only record of an editor's decision, and without one a feed still carrying the
        story would bring it back. Seeds on disk are never touched. Returns how many items
        were forgotten. Choose ``days`` longer than any feed keeps an item, or a forgotten
        story still in its feed is fetched again.
        """
        cutoff = _ts(self._clock() - timedelta(days=days))
        states = ("written",) + (TOMBSTONES if tombstones else ())
        marks = ", ".join("?" for _ in states)
        with self._tx() as db:
            count = db.execute(
                f"DELETE FROM items WHERE first_seen_at < ? AND state IN ({marks})", (cutoff, *states)
            ).rowcount
            db.execute("DELETE FROM fetch_log WHERE at < ?", (cutoff,))
        return count

    # -- paths

    @staticmethod
    def _seed_file(seeds_dir: Path, rel: str) -> Path:
        """``seeds_dir / rel`` when ``rel`` is ``<slug>/<name>.txt`` and stays inside the seeds
        folder (links resolved); ``FeedStoreError`` naming the path otherwise."""
        pure = PurePosixPath(rel)
        target = seeds_dir.joinpath(*pure.parts)
        if (
            "\\" in rel
            or len(pure.parts) != 2
            or not all(safe_name(part) for part in pure.parts)
            or pure.suffix != ".txt"
            or not target.resolve().is_relative_to(seeds_dir.resolve())
        ):
            raise FeedStoreError(str(target), "refusing to write a seed outside the seeds folder")
        return target


def _opt_ts(moment: datetime | None) -> str | None:
    return None if moment is None else _ts(moment)
