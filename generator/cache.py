"""Build cache: what lets a rebuild skip work that an earlier build already did.

What is kept in the cache folder (``ROOT/.sahifa-cache/`` for the CLI; tests and the library
API build without one unless asked):

- ``records-NN.pickle``: every source's records with the stat signatures of the file (and of
  its sidecar) and the digest of their bytes, in ``RECORD_SHARDS`` files by the source's
  path. A source whose signatures are unchanged, or whose bytes are (a fresh clone, a
  restored cache), is not read again. The records' compressed bodies are kept beside each
  shard (``bodies-NN-<token>.bin``, named anew at each save); with ``lazy_bodies`` a record
  holds where its body is and reads it when asked (``model.stored_body``).
- ``state-<out>.pickle``: for one output folder, the fingerprint of all inputs of the last
  successful build and the manifest of the files it wrote (size, mtime, digest of the bytes).
  A build whose fingerprint matches, into an output folder that still matches the manifest,
  has nothing to do (the no-op rebuild). Otherwise the manifest tells the writer which
  files already hold the right bytes, so only changed files are written, and the page keys
  tell which pages need no rendering (``pagekeys``); ``spare-<out>/`` is the output tree the
  last build replaced (``write.OutputWriter``).
- memos of work done by what it depends on (``Memo``): each record's screening
  (``screened.pickle``), each story's search weights (``search-<lang>.pickle``), the compiled
  templates (``templates.pickle``), the compiled catalogues by their files' bytes
  (``catalogues.marshal``, ``i18n.translations_for``); and the cards of list pages
  (``cards.sqlite``, ``CardStore``).
- the model a build made (``model.pickle``) and the register lines written since
  (``model-since.marshal``), which the next build patches instead of assembling the site's
  model anew (``modelstate``).

Everything that can change the output is in a key: the source bytes, templates, static files,
catalogues and configuration (by stat signature: size, mtime, ctime, inode), the day (future
articles are published when their day comes), the output folder, the code of this package and
the versions of the libraries and of ICU. A cache that does not match is ignored, never
trusted; a cache that cannot be read is treated as absent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import importlib.util
import marshal
import os
import pickle
import secrets
import sqlite3
import sys
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Callable, Iterable

from .model import PACKED_SLOTS, stored_body
from .write import atomic_write

FORMAT = 2
CACHE_DIR_NAME = ".sahifa-cache"
LIBRARIES = (
    "jinja2",
    "markdown",
    "babel",
    "nh3",
    "PyYAML",
    "MarkupSafe",
    "charset-normalizer",
    "trafilatura",
    "lxml",
    "pyicu-wheels",
    "PyICU",
)
PACKAGE = Path(__file__).resolve().parent

Signature = tuple[int, int, int, int]


def signature(st: os.stat_result) -> Signature:
    """What tells us a file may have changed without reading it (as make and Hugo do, plus
    ctime and inode: any write or replacement changes at least one of them)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def file_signature(path: Path) -> Signature | None:
    try:
        return signature(os.stat(path))
    except OSError:
        return None


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """This package's source and data files, the Python version, and the installed versions
    of the libraries (PyICU's compiled module included, which fixes the ICU it uses). Read
    from the installation's metadata folder names: importing the libraries (or
    ``importlib.metadata``) would cost more than the rest of a no-op build."""
    h = hashlib.sha256(f"format {FORMAT}; python {sys.version}".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    wanted = {_normalise(name) for name in LIBRARIES}
    found = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")) and _normalise(name.split("-")[0]) in wanted:
                found.append(f"{entry}/{name}")
    h.update(repr(sorted(found)).encode("utf-8", "surrogateescape"))
    spec = importlib.util.find_spec("icu")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for name in sorted(os.listdir(location)):
            if name.endswith((".so", ".pyd", ".py")):
                h.update(name.encode() + repr(file_signature(Path(location) / name)).encode())
    return h.hexdigest()


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _scan(folder: str, rel: str, out: list) -> None:
    """(path, stat signature, mode) of every entry below ``folder``, in a fixed order; links
    are described by both the link and its target. One ``lstat`` per entry (``scandir``).
    Iterative, and no deeper than the readers look (``paths.MAX_DEPTH``)."""
    from .paths import MAX_DEPTH

    stack = [(iter(_listing(folder, rel, out)), rel, 0)]
    while stack:
        entries, base, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        path = f"{base}/{entry.name}"
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            out.append((path, "gone"))
            continue
        if entry.is_symlink():
            try:
                target = os.stat(entry.path)
                out.append((path, signature(st), signature(target), target.st_mode))
            except OSError:
                out.append((path, "broken link"))
        elif entry.is_dir(follow_symlinks=False):
            out.append((path, "dir"))
            if depth < MAX_DEPTH:
                stack.append((iter(_listing(entry.path, path, out)), path, depth + 1))
        else:
            out.append((path, signature(st), st.st_mode))


def _listing(folder: str, rel: str, out: list) -> list:
    from .paths import sorted_entries

    try:
        return sorted_entries(folder)
    except OSError as exc:
        out.append((rel, "unreadable", exc.errno))
        return []


def input_fingerprint(config: Any, out_dir: Path, today: dt.date, *, inputs: str | None = None) -> str:
    """Everything a build reads, by stat signature, plus the day, the output folder, the
    configuration as parsed (so overrides such as ``--base-url`` count) and the code.

    ``inputs`` is ``inputs_digest`` taken earlier: a build that has just written the
    permalink register describes the register as it is now, but the inputs as they were
    when it started (an article saved while it ran is then seen as changed next time)."""
    h = hashlib.sha256((inputs or inputs_digest(config, out_dir, today)).encode())
    register = config.permalinks_path
    if register is not None:
        try:
            h.update(b"permalinks\0" + register.read_bytes())
        except OSError:
            h.update(b"permalinks absent")
    return h.hexdigest()


def inputs_digest(config: Any, out_dir: Path, today: dt.date, scans: dict | None = None) -> str:
    """The part of ``input_fingerprint`` that the build itself never writes. ``scans``, if
    given, gets each input folder's ``_scan`` entries (by the folder's path as text): the
    read stage finds its sources in them (``sources.discover``) instead of looking again."""
    h = hashlib.sha256()
    h.update(code_fingerprint().encode())
    h.update(repr(config).encode())
    h.update(f"{today.isoformat()} {out_dir}".encode())
    for folder in config.input_dirs:
        entries: list = []
        _scan(str(folder), "", entries) if folder.is_dir() else entries.append("absent")
        # marshal (format 2: by value, no shared references) writes the entries five times as fast
        # as their repr (100,000 sources: 0.1 s)
        h.update(os.fsencode(str(folder)) + b"\0" + marshal.dumps(entries, 2))
        if scans is not None:
            scans[str(folder)] = entries
    return h.hexdigest()


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector in this process. A build makes a few large,
    long-lived and acyclic structures (records, the model, the plan, the page keys); with the
    collector on, each young-generation pass that reaches the oldest walks all of them again,
    which made a build of 100,000 stories about half as fast again as without (and a tenth
    slower at 10,000). Workers forked meanwhile collect as usual (``parallel._worker_init``);
    what cycles the build leaves are collected once it is over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(path: Path, *, plain: bool = False) -> Any:
    """The value pickled in ``path`` (``plain``: written with ``marshal``; None if it is
    absent or damaged), with the collector paused: a big state's tuples would otherwise set
    off passes that walk everything loaded so far, again and again."""
    try:
        with collector_paused(), open(path, "rb") as fh:
            # marshal.load reads a file a few bytes at a time: five times slower than this
            return marshal.loads(fh.read()) if plain else pickle.load(fh)
    except Exception:  # noqa: BLE001 - a missing or damaged cache is an absent cache
        return None


def _save(path: Path, value: Any, *, plain: bool = False) -> None:
    """Atomically: a killed build never leaves a half-written cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(
        path, marshal.dumps(value) if plain else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    )


class Memo:
    """Work a build keeps for the next one, by what it depends on (content-addressed entries,
    e.g. a record's fingerprint -> what screening it gave), in one file of the cache folder,
    for one ``key`` (the code, the settings the entries depend on): a file made for another
    key is ignored. ``entries`` is a plain dict; ``save`` writes it when it gained entries.
    ``plain``: entries of built-in values only (strings, numbers, tuples, dicts), kept with
    ``marshal``, three times as fast as ``pickle`` to write."""

    def __init__(self, path: Path | None, key: str, *, plain: bool = False) -> None:
        self.path, self.key, self.plain = path, key, plain
        found = _load(path, plain=plain) if path is not None else None
        self.entries: dict = found["memo"] if isinstance(found, dict) and found.get("key") == key else {}
        self.loaded = len(self.entries)

    @property
    def grew(self) -> bool:
        return len(self.entries) != self.loaded

    def save(self, keep=None, *, force: bool = False) -> None:
        """Write the entries if any was added, or ``force`` (entries nested in the caller's
        own way); ``keep``: only the entries whose keys it holds."""
        if self.path is None or not (self.grew or force):
            return
        entries = self.entries if keep is None else {k: v for k, v in self.entries.items() if k in keep}
        _save(self.path, {"key": self.key, "memo": entries}, plain=self.plain)
        self.loaded = len(self.entries)


class CardStore:
    """Cards (the teasers of list pages) rendered by earlier builds, by language and article
    key (``pagekeys.PageKeys.article_key``), in an SQLite file of the cache folder: a render
    worker asks for the cards of the pages it renders and nothing is loaded whole (100,000
    stories have about 160 MB of cards); a build adds the cards it rendered. Cards are kept for
    one rendering ``environment`` at a time: another one empties the store.

    Render workers are forked: each process opens its own read-only connection on first use
    (``get``); the building process writes (``add``, ``prune``) only when no worker runs. A
    file that cannot be read is a store with no cards (they are rendered again)."""

    def __init__(self, path: Path | None, environment: str) -> None:
        self.path = Path(os.path.abspath(path)) if path is not None else None
        self.environment = environment
        self._reader: tuple[int, Any] | None = None
        if path is not None:
            _drop(self.path.with_name("cards.pickle"))  # older versions' cards
            try:
                self._prepare()
            except sqlite3.Error:
                self._reset()

    def _open(self, *, readonly: bool = False):
        if readonly:
            return sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
        return sqlite3.connect(self.path, isolation_level=None)

    def _prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # as the cache's files
        db = self._open()
        try:
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS cards (lang TEXT, key BLOB, html BLOB, UNIQUE (lang, key))"
            )
            db.execute("CREATE TABLE IF NOT EXISTS frames (key BLOB PRIMARY KEY, frame BLOB)")
            row = db.execute("SELECT value FROM meta WHERE name = 'environment'").fetchone()
            if row is None or row[0] != self.environment:
                db.execute("BEGIN")
                db.execute("DELETE FROM cards")
                db.execute("DELETE FROM frames")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('environment', ?)", (self.environment,))
                db.execute("COMMIT")
        finally:
            db.close()

    def _reset(self) -> None:
        """A damaged file: start again from an empty store (or none, if that fails too)."""
        try:
            for suffix in ("", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._prepare()
        except (OSError, sqlite3.Error):
            self.path = None

    def close(self) -> None:
        """Close this process's reader (the building process's, when it rendered pages
        itself: a forked process opens its own and never uses one it inherited)."""
        if self._reader is not None:
            pid, db = self._reader
            self._reader = None
            if pid == os.getpid():
                db.close()

    def _read(self):
        """This process's read-only connection (a forked worker opens its own)."""
        if self._reader is None or self._reader[0] != os.getpid():
            self._reader = (os.getpid(), self._open(readonly=True))
        return self._reader[1]

    def get(self, lang: str, key: bytes) -> bytes | None:
        return self.get_many(lang, [key]).get(key)

    def get_many(self, lang: str, keys: list[bytes]) -> dict[bytes, bytes]:
        """``get`` for several keys at once: the ones found."""
        if self.path is None:
            return {}
        found: dict[bytes, bytes] = {}
        try:
            reader = self._read()
            for start in range(0, len(keys), 400):  # under SQLite's limit of bound parameters
                part = keys[start : start + 400]
                marks = ",".join("?" * len(part))
                found.update(
                    reader.execute(
                        f"SELECT key, html FROM cards WHERE lang = ? AND key IN ({marks})", (lang, *part)
                    )
                )
        except sqlite3.Error:
            return found
        return found

    def frame(self, key: bytes) -> bytes | None:
        """The frame kept for a list page's frame key (``pagekeys.PageKeys.frame_key``), as
        ``add_frames`` took it; None when none is."""
        if self.path is None:
            return None
        try:
            row = self._read().execute("SELECT frame FROM frames WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row is not None else None

    def add_frames(self, made: list[tuple[bytes, bytes]], limit: int) -> None:
        """Keep the frames made now ((key, frame) pairs), and no more than ``limit``: the
        oldest go first (a pagination's frames change with its number of pages)."""

        def add(db) -> None:
            db.executemany("INSERT OR REPLACE INTO frames VALUES (?, ?)", made)
            (newest,) = db.execute("SELECT max(rowid) FROM frames").fetchone()
            db.execute("DELETE FROM frames WHERE rowid <= ?", (newest - limit,))

        if made:
            self._write(add)

    def lookup(self, lang: str) -> "CardLookup":
        """``get`` for one language, as ``render._memoized_card`` asks (``.get(key)``)."""
        return CardLookup(self, lang)

    def add(self, fresh: dict[str, dict[bytes, bytes]]) -> None:
        """Keep the cards rendered now: language -> article key -> the card's UTF-8 bytes."""
        rows = [(lang, key, html) for lang, made in fresh.items() for key, html in made.items()]
        if rows:
            self._write(lambda db: db.executemany("INSERT OR REPLACE INTO cards VALUES (?, ?, ?)", rows))

    def prune(self, live: Iterable[bytes], stories: int) -> None:
        """Corrections and deletions leave cards nobody shows: when there are a quarter more
        cards than ``stories``, keep only the cards of the ``live`` article keys."""

        def drop(db) -> None:
            (count,) = db.execute("SELECT count(*) FROM cards").fetchone()
            if count > stories + stories // 4 + 100:
                db.execute("CREATE TEMP TABLE live (key BLOB PRIMARY KEY) WITHOUT ROWID")
                db.executemany("INSERT OR IGNORE INTO live VALUES (?)", ((key,) for key in live))
                db.execute("DELETE FROM cards WHERE key NOT IN (SELECT key FROM live)")

        self._write(drop)

    def _write(self, work) -> None:
        """``work(connection)`` in one transaction, with this process's reader closed; a store
        that fails is started again empty (``_reset``)."""
        if self.path is None:
            return
        self.close()
        try:
            db = self._open()
            try:
                db.execute("BEGIN")
                work(db)
                db.execute("COMMIT")
            finally:
                db.close()
        except sqlite3.Error:
            self._reset()


@dataclass(frozen=True)
class CardLookup:
    store: CardStore
    lang: str

    def get(self, key: bytes) -> bytes | None:
        return self.store.get(self.lang, key)

    def get_many(self, keys: list[bytes]) -> dict[bytes, bytes]:
        return self.store.get_many(self.lang, keys)


# An entry of the output manifest: size, mtime_ns, digest of the bytes.
ManifestEntry = tuple[int, int, bytes]


@dataclass
class BuildState:
    """The last successful build into one output folder."""

    fingerprint: str
    manifest: dict[str, ManifestEntry]
    problems: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    articles: int = 0
    expires: dt.datetime | None = None
    """When the output goes out of date with no input changed (a breaking-news banner's end)."""
    spare: dict[str, ManifestEntry] | None = None
    """The manifest of the tree the last build replaced, kept as ``spare_path`` (None: none)."""
    pages: dict[str, tuple] | None = None
    """Output path -> (page key, sitemap entry, inputs key or None) of every page the last
    build planned (``pagekeys``); pages whose key is unchanged are not rendered again, pages
    whose inputs key is unchanged are not even keyed."""
    environment: str = ""
    """``pagekeys.environment_key`` of the last build: when it changed, every page is rendered."""
    stories: dict | None = None
    """Every story's key, translation group and place, the terms' and months' sizes and
    names, each language's header key and the related-stories memo's generation
    (``pagekeys.story_state``): the next build finds from them the pages that cannot have
    changed (``pagekeys.settled_pages``)."""
    base: tuple | None = None
    """How its tables were saved: (the token of the base file, and the changes from it to
    these tables), None when they were saved whole (``BuildCache.save_state``)."""


_PLAIN_STATE = ("manifest", "spare", "pages", "stories")
"""``BuildState``'s fields saved with ``marshal`` (``BuildCache.save_state``)."""

_BASED = ("manifest", "pages")
"""The tables saved as changes from a base file, when they are tables (``BuildCache.save_state``)."""

REBASE_SHARE = 8
"""A state whose tables changed in more than one entry in this many since their base file
is saved with a base file of its own (the changes are read and applied by every build)."""


def state_from(raw: bytes | None, base: Callable[[str], bytes | None] | None = None) -> BuildState | None:
    """The ``BuildState`` a state file holds (None: none, or damaged; or its tables' base file,
    read by ``base(token)``, missing or not the one named)."""
    if raw is None:
        return None
    try:
        with collector_paused():
            found = pickle.loads(raw)
            if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], BuildState):
                state, packed = found
                plain = marshal.loads(packed)
                based = None
                if "base" in plain:
                    token, changes = plain.pop("base"), plain.pop("changes")
                    data = base(token) if base is not None else None
                    tables = marshal.loads(data) if data is not None else None
                    if not isinstance(tables, dict) or tables.get("token") != token:
                        return None
                    for name, (changed, removed) in changes.items():
                        plain[name] = _applied(tables[name], changed, removed)
                    based = (token, changes)
                if isinstance(plain.get("spare"), tuple):
                    plain["spare"] = _spare_from(plain["spare"], plain["manifest"])
                return dataclasses.replace(state, **plain, base=based)
    except Exception:  # noqa: BLE001 - a damaged cache is an absent cache
        return None
    return found if isinstance(found, BuildState) else None


_ABSENT = object()


def _changes(before: dict, now: dict) -> tuple[dict, list]:
    """(entries of ``now`` new or other than in ``before``, keys of ``before`` gone): a build's
    tables keep most of the last build's entries as the same objects, so most are told
    unchanged by identity."""
    get = before.get
    changed = {
        key: value for key, value in now.items() if (old := get(key, _ABSENT)) is not value and old != value
    }
    return changed, sorted(before.keys() - now.keys())


def _applied(table: dict, changed: dict, removed: Iterable) -> dict:
    """``table`` (changed in place) with the keys ``removed`` taken out (one not there: nothing
    to take out, a story added since the base and removed again) and ``changed`` put in: what
    ``_changes`` took from it."""
    for key in removed:
        table.pop(key, None)
    table.update(changed)
    return table


def _composed(first: tuple[dict, list], then: tuple[dict, list]) -> tuple[dict, list]:
    """The changes ``first`` and after it ``then`` (each as ``_changes`` gives them) as one."""
    changed, removed = dict(first[0]), set(first[1])
    for key in then[1]:
        changed.pop(key, None)
        removed.add(key)
    changed.update(then[0])
    removed.difference_update(then[0])
    return changed, sorted(removed)


def _spare_delta(spare: dict, manifest: dict) -> tuple:
    """The spare tree's manifest as it differs from the output folder's (``_changes``): the
    tree the last build replaced is the output as it was, so the two differ only in the files
    that build changed, added or removed (at 100,000 stories a few thousand entries in
    190,000)."""
    return ("delta", *_changes(manifest, spare))


def _spare_from(delta: tuple, manifest: dict) -> dict:
    """``_spare_delta`` undone."""
    _, changed, missing = delta
    return _applied(dict(manifest), changed, missing)


def output_listing(out_dir: Path) -> tuple[int, int]:
    """(files, a sum of their hashes) for every file under ``out_dir``, each file's hash that
    of (path, size, mtime): one walk of the folder, listing each folder once and asking each
    file's ``stat`` relative to it (``os.scandir``; at 100,000 stories 190,000 files and as many
    folders, in a third of the system time of a ``lstat`` per file and folder by full path).
    The sum can be compared only within one process and those it forks (``str`` hashes are
    salted per process): ``manifest_listing`` gives the same for the manifest."""
    files = total = 0
    stack = [""]
    base = os.fspath(out_dir)
    scandir = os.scandir
    while stack:
        rel = stack.pop()
        with scandir(f"{base}/{rel}" if rel else base) as entries:
            for entry in entries:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(name)
                else:
                    st = entry.stat(follow_symlinks=False)
                    files += 1
                    total += hash((name, st.st_size, st.st_mtime_ns))
    return files, total & _MASK


_MASK = (1 << 64) - 1


def manifest_listing(manifest: dict[str, ManifestEntry]) -> tuple[int, int]:
    """``output_listing`` of a folder holding exactly the files of ``manifest`` as recorded."""
    return len(manifest), sum(hash((rel, entry[0], entry[1])) for rel, entry in manifest.items()) & _MASK


def manifest_matches(out_dir: Path, manifest: dict[str, ManifestEntry]) -> bool:
    """True when ``out_dir`` holds every file of the manifest with its recorded size and
    mtime, and no other file (an output file edited, deleted or added by hand means: rebuild;
    a folder left empty is no file of the site, and not looked for)."""
    try:
        return _listed(output_listing(out_dir), manifest)
    except OSError:
        return False


def _listed(found: Any, manifest: dict[str, ManifestEntry]) -> bool:
    """``found`` (an ``output_listing``, from this process or a forked one; None: the walk
    failed) is the listing of a folder holding exactly ``manifest``'s files as recorded."""
    return found is not None and tuple(found) == manifest_listing(manifest)


@dataclass
class BuildCache:
    """The cache folder of one site, as one build uses it."""

    folder: Path
    record_key: str = ""
    records: dict[str, tuple[tuple, str, tuple]] = field(default_factory=dict)
    """Source path -> (stat signatures of the source and of its sidecar, hash of their
    bytes, its records)."""
    dirty: set[int] = field(default_factory=set)
    """Shards of ``records`` changed since they were loaded (``mark``)."""
    same_sources: bool = False
    """The last ``pipeline.read_records`` found the sources the cache held: none added, none
    gone (the stories may have changed)."""
    lazy_bodies: bool = False
    """Records' bodies are left in the cache's bodies files until a page needs them
    (``model.stored_body``): for a build that ends with its process (the command line), not for
    one whose records stay in memory while other builds may write the cache (the preview)."""
    bodies: dict[int, str] = field(default_factory=dict)
    """Shard -> the name of its bodies file, as loaded or saved."""

    def state_path(self, out_dir: Path) -> Path:
        name = hashlib.sha256(os.fsencode(str(out_dir))).hexdigest()[:16]
        return self.folder / f"state-{name}.pickle"

    def spare_path(self, out_dir: Path) -> Path:
        """Where the output tree a build replaced is kept, to become the next build's staging
        folder (``write.OutputWriter``)."""
        return self.state_path(out_dir).with_name(self.state_path(out_dir).stem.replace("state-", "spare-"))

    def load_state(self, out_dir: Path) -> BuildState | None:
        return state_from(self.state_bytes(out_dir), partial(self.state_base, out_dir))

    def _base_path(self, out_dir: Path, token: str) -> Path:
        state = self.state_path(out_dir)
        return state.with_name(f"{state.stem}-base-{token}.marshal")

    def state_base(self, out_dir: Path, token: str) -> bytes | None:
        """The base file ``token`` of the state's tables (``save_state``), None if absent."""
        try:
            return self._base_path(out_dir, token).read_bytes()
        except OSError:
            return None

    def _bases(self, out_dir: Path) -> list[Path]:
        """The base files of the state's tables (one, but for a killed build's)."""
        return list(self.folder.glob(f"{self.state_path(out_dir).stem}-base-*.marshal"))

    def state_size(self, out_dir: Path, raw: bytes) -> int:
        """The size of the state: its file (``raw``) and its base files."""
        return len(raw) + sum(path.stat().st_size for path in self._bases(out_dir))

    def state_bytes(self, out_dir: Path) -> bytes | None:
        """The state file as it is (see ``state_from``), None if there is none."""
        try:
            return self.state_path(out_dir).read_bytes()
        except OSError:
            return None

    def save_state(self, out_dir: Path, state: BuildState, since: BuildState | None = None) -> None:
        """The state's big tables (manifests, page keys: 28,000 entries each at 10,000
        stories) are plain values and saved with ``marshal``, about twice as fast as ``pickle``
        both ways; the rest is pickled.

        The output manifest and the page keys (190,000 entries each at 100,000 stories, of
        which a new story changes a few thousand) are kept in a base file, and a state saves
        only how its tables differ from it: ``since``, the state the build started from (its
        tables as read, and how they differ from their base file), gives those changes
        without writing the whole tables again (0.3-0.6 s at 100,000 stories). A base file is
        written when there is none to go on from, or the changes add up (``REBASE_SHARE``);
        the state file names it, and is replaced after it: a build killed in between leaves
        the last state whole."""
        plain = {name: getattr(state, name) for name in _PLAIN_STATE}
        if isinstance(state.spare, dict) and isinstance(state.manifest, dict):
            plain["spare"] = _spare_delta(state.spare, state.manifest)
        path = self.state_path(out_dir)
        head = dataclasses.replace(state, **dict.fromkeys(_PLAIN_STATE), base=None)
        try:  # (one value: the tables share their keys' strings, stored once)
            changes = self._changes_since(out_dir, since, state)
            if changes is None:  # a base file of its own
                token = secrets.token_hex(8)
                tables = {name: plain[name] for name in _BASED if isinstance(plain[name], dict)}
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write(self._base_path(out_dir, token), marshal.dumps({"token": token, **tables}))
                changes = {name: ({}, []) for name in tables}
            else:
                token = since.base[0]
            rest = {name: value for name, value in plain.items() if name not in changes}
            packed = marshal.dumps({**rest, "base": token, "changes": changes})
        except (ValueError, TypeError):  # not plain after all: pickled whole
            _save(path, state)
            self._drop_bases(out_dir, keep=None)
            return
        _save(path, (head, packed))
        self._drop_bases(out_dir, keep=token)

    def _changes_since(self, out_dir: Path, since: BuildState | None, state: BuildState) -> dict | None:
        """How ``state``'s tables differ from the base file of ``since`` (the state it was
        made from), or None when a base file of its own is better: none to go on from, or
        the changes add up to more than a ``REBASE_SHARE``-th of the entries."""
        if since is None or since.base is None:
            return None
        token, before = since.base
        if not self._base_path(out_dir, token).is_file():
            return None
        changes = {}
        size = entries = 0
        for name in _BASED:
            then, now = getattr(since, name), getattr(state, name)
            if not isinstance(then, dict) or not isinstance(now, dict) or name not in before:
                return None
            changes[name] = _composed(before[name], _changes(then, now))
            size += len(changes[name][0]) + len(changes[name][1])
            entries += len(now)
        return changes if size * REBASE_SHARE <= entries else None

    def _drop_bases(self, out_dir: Path, keep: str | None) -> None:
        """Remove the base files of the state's tables but the one named ``keep``."""
        kept = self._base_path(out_dir, keep) if keep is not None else None
        for found in self._bases(out_dir):
            if found != kept:
                found.unlink(missing_ok=True)

    def forget_state(self, out_dir: Path) -> None:
        try:
            os.unlink(self.state_path(out_dir))
        except FileNotFoundError:
            pass

    # ---- records -------------------------------------------------------------------------
    def load_records(self, options_key: str) -> None:
        """``options_key``: what else records depend on (``ReadOptions.cache_key``)."""
        key = f"{code_fingerprint()} {options_key}"
        if key == self.record_key:
            return  # already in memory (a cache object kept between builds)
        self.record_key = key
        self.records = {}
        self.dirty = set()
        _drop(self.folder / "records.pickle")  # the one file of older versions
        _drop(self.folder / "related.pickle")  # older versions' related stories (``related.marshal``)
        self.bodies = {}
        for shard in range(RECORD_SHARDS):
            data = _load(self._shard_path(shard))
            if isinstance(data, dict) and data.get("key") == self.record_key and self._bodies_of(shard, data):
                self.records.update(data["records"])
            else:
                self.dirty.add(shard)  # absent, damaged or made for other code: write it anew

    def _bodies_of(self, shard: int, data: dict) -> bool:
        """A loaded shard's records hold where their bodies are in its bodies file
        (``model.stored_body``); without ``lazy_bodies``, the bodies themselves. False when
        that file is missing or not the one the shard was written with. A cache folder moved
        or restored elsewhere is used where it is (and the shard written again, to say so)."""
        name = data.get("bodies")
        if name is None:
            return False
        path = self.folder / name
        try:
            size = path.stat().st_size
        except OSError:
            return False
        if size != data.get("size"):
            return False
        self.bodies[shard] = name
        folder = os.path.realpath(self.folder)
        moved = data.get("folder") != folder
        if moved:
            self.dirty.add(shard)
        if not (moved or not self.lazy_bodies) or not size:
            return True
        blob = None
        if not self.lazy_bodies:
            try:
                blob = path.read_bytes()
            except OSError:
                return False
        here = os.path.join(folder, name)
        for entry in data["records"].values():
            for record in entry[2]:
                fields = record.__dict__
                for slot in PACKED_SLOTS:
                    ref = fields.get(slot)
                    if type(ref) is tuple:
                        _, start, length = ref
                        fields[slot] = (here, start, length) if blob is None else blob[start : start + length]
        return True

    def mark(self, rel: str) -> None:
        """The entry of source ``rel`` changed: its shard is written by ``save_records``."""
        self.dirty.add(_shard_of(rel))

    def save_records(self, keep: set[str]) -> None:
        """Drop the sources no longer there and write the shards that changed: one new story
        rewrites one shard of ``RECORD_SHARDS``, not the records of the whole archive."""
        for path in set(self.records) - keep:
            del self.records[path]
            self.mark(path)
        if not self.dirty:
            return
        shards: dict[int, dict] = {shard: {} for shard in self.dirty}
        for rel, entry in self.records.items():
            found = shards.get(_shard_of(rel))
            if found is not None:
                found[rel] = entry
        for shard, records in sorted(shards.items()):
            self._save_shard(shard, records)
        self.dirty = set()

    def _save_shard(self, shard: int, records: dict) -> None:
        """The shard's records in its pickle, their packed bodies in a bodies file of its
        own (named anew each time: a killed save leaves the last pair whole); in the pickle,
        each body's field holds where it is (``model.stored_body``)."""
        chunks: list[bytes] = []
        held: list[tuple[dict, str, bytes]] = []
        name = f"bodies-{shard:02x}-{secrets.token_hex(4)}.bin"
        self.folder.mkdir(parents=True, exist_ok=True)
        folder = os.path.realpath(self.folder)
        path = os.path.join(folder, name)
        offset = 0
        for entry in records.values():
            for record in entry[2]:
                fields = record.__dict__
                for slot in PACKED_SLOTS:
                    data = fields.get(slot)
                    if data is None:
                        continue
                    if type(data) is tuple:
                        data = stored_body(data)
                    chunks.append(data)
                    held.append((fields, slot, data))
                    fields[slot] = (path, offset, len(data))
                    offset += len(data)
        try:
            atomic_write(self.folder / name, b"".join(chunks))
            _save(
                self._shard_path(shard),
                {
                    "key": self.record_key,
                    "records": records,
                    "bodies": name,
                    "size": offset,
                    "folder": folder,
                },
            )
        finally:
            for fields, slot, data in held:  # in memory, the bytes (no file read again)
                fields[slot] = data
        for other in self.folder.glob(f"bodies-{shard:02x}-*.bin"):
            if other.name != name:
                _drop(other)
        self.bodies[shard] = name

    def _shard_path(self, shard: int) -> Path:
        return self.folder / f"records-{shard:02x}.pickle"


RECORD_SHARDS = 64
"""Files the records are kept in, by a hash of the source's path."""


def _drop(path: Path) -> None:
    """Remove a cache file older versions kept (if it cannot be removed, it is only unused)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _shard_of(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogateescape")) % RECORD_SHARDS


@dataclass(frozen=True)
class Examination:
    """What the cache says about a build about to start."""

    out_dir: Path
    today: dt.date
    fingerprint: str
    """Of the inputs now."""
    previous: BuildState | None
    """The last build into ``out_dir``, if the folder still holds exactly what it wrote
    (nothing edited, added or removed by hand): its manifest says which files need no write.
    When the inputs have changed, perhaps not checked yet (see ``check``)."""
    inputs: str = ""
    """``inputs_digest`` now (see ``input_fingerprint``)."""
    scans: dict | None = None
    """The input folders as ``inputs_digest`` found them (``_scan`` entries by folder)."""
    check: Any = None
    """When the inputs have changed, the output folder's check against ``previous``
    (``manifest_matches``), its walk running in a forked process (``OutputCheck``; called, it
    gives its answer; None: checked already)."""

    @property
    def unchanged(self) -> bool:
        """Nothing the last build depended on has changed: there is nothing to do."""
        if self.previous is None or self.previous.fingerprint != self.fingerprint:
            return False
        expires = getattr(self.previous, "expires", None)
        return expires is None or dt.datetime.now(dt.timezone.utc) < expires


def examine(cache: BuildCache, config: Any, out_dir: Path, today: dt.date) -> Examination:
    """Cheap: stat calls and folder listings only, and this module imports none of the
    rendering machinery, so the command line can answer a no-op build before loading it. The
    output folder's check against the last state (``manifest_matches``) starts first, in a
    process of its own (``OutputCheck``), and the look at the inputs in another: a no-op build waits for the
    check's answer here, any other build just before its commit (``Examination.check``)."""
    while _checks:  # one that no build waited for (it failed first): its process is ended
        _checks[0].cancel()
    raw = cache.state_bytes(out_dir) if out_dir.is_dir() else None
    check = looking = None
    size = cache.state_size(out_dir, raw) if raw is not None else 0
    if size >= EARLY_CHECK_BYTES:  # both at once, while this reads the state
        code_fingerprint()  # (made once, before the forks)
        check = OutputCheck(out_dir)
        looking = Forked(partial(_inputs_scanned, config, out_dir, today))
    state = state_from(raw, partial(cache.state_base, out_dir))
    del raw
    found = looking() if looking is not None else None
    if found is None:
        scans: dict = {}
        inputs = inputs_digest(config, out_dir, today, scans)
    else:
        inputs, scans = found
    fingerprint = input_fingerprint(config, out_dir, today, inputs=inputs)
    if state is None:
        if check is not None:
            check.cancel()
        check = None
    elif state.fingerprint == fingerprint:
        if not (
            check.against(state.manifest)()
            if check is not None
            else manifest_matches(out_dir, state.manifest)
        ):
            state = None
        check = None
    else:
        check = (check or OutputCheck(out_dir)).against(state.manifest)
    return Examination(out_dir, today, fingerprint, state, inputs, scans, check)


EARLY_CHECK_BYTES = 16 << 20
"""From this size of the last state on (about 25,000 stories), ``examine`` forks the output
check and the look at the inputs as it starts: at 100,000 stories that took it from 1.4-1.8 s
to 1.0-1.2 s; at 10,000 a no-op build takes the same time either way (0.6 s on the benchmark
machine), and the check is forked only when the inputs have changed, after the look."""


class Forked:
    """``work()``, whose result is of plain values (``marshal``), run in a process forked at
    once; called, waits for the result (``failed`` if the work raised or the process died).
    In a process with other threads (a fork copies only this one) or without ``fork``: done
    at once, here. ``examine`` starts two: the look at the inputs and the output check."""

    def __init__(self, work: Any, failed: Any = None) -> None:
        import threading

        self.failed = failed
        self.done: list = []
        self.pid = None
        if not hasattr(os, "fork") or threading.active_count() > 1:
            try:
                self.done.append(work())
            except Exception:  # noqa: BLE001 - as in the process: the failed answer
                self.done.append(failed)
            return
        from .parallel import send_all  # (the process and its pipe as ``parallel.Ahead``'s)

        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: say the result, leave at once whatever happens
            try:
                os.close(read_end)
                send_all(write_end, marshal.dumps(work()))  # (nothing said: the failed answer)
            finally:
                os._exit(0)
        os.close(write_end)
        self.pid, self.read_end = pid, read_end
        _checks.append(self)

    def __call__(self) -> Any:
        if not self.done:
            from .parallel import received_all

            try:
                self.done.append(marshal.loads(received_all(self.read_end)))
            except (OSError, EOFError, ValueError, TypeError):  # it failed or died: the failed answer
                self.done.append(self.failed)
            finally:
                self._reap()
        return self.done[0]

    def cancel(self) -> None:
        """Not waited for: the process is ended (the answer, if asked after, is ``failed``)."""
        if self.pid is not None and not self.done:
            try:
                os.kill(self.pid, 9)
            except OSError:
                pass
            self.done.append(self.failed)
            self._reap()

    def _reap(self) -> None:
        os.close(self.read_end)
        os.waitpid(self.pid, 0)
        self.pid = None
        _checks.remove(self)


class OutputCheck:
    """The output folder's check (``manifest_matches``) with its walk, the slow part (at
    100,000 stories 190,000 files in as many folders: seconds of system time), made in a
    process of its own (``Forked``) while this one goes on; called, compares its listing with
    the manifest given (``against``). Cancelled, ends the process."""

    def __init__(self, out_dir: Path) -> None:
        self.listing = Forked(partial(output_listing, out_dir))
        self.manifest: dict[str, ManifestEntry] = {}

    def against(self, manifest: dict[str, ManifestEntry]) -> OutputCheck:
        self.manifest = manifest
        return self

    def __call__(self) -> bool:
        return _listed(self.listing(), self.manifest)  # (None: the walk failed, the folder changed under it)

    def cancel(self) -> None:
        self.listing.cancel()


def _inputs_scanned(config: Any, out_dir: Path, today: dt.date) -> tuple[str, dict]:
    scans: dict = {}
    return inputs_digest(config, out_dir, today, scans), scans


_checks: list = []
"""Processes started by ``Forked`` and not yet answered (a long-lived process, such as the
preview's builder, reaps one a failed build left at its next ``examine``)."""
