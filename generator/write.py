"""Write stage: pages go into a fresh folder that replaces the output folder in one step.

Every output path is checked by ``check_rel`` (no absolute paths, no ``..``, no NUL) before
it is written into this build's own staging folder, and by ``safe_join`` (nothing that
resolves outside the output root, links included) before anything touches the output folder. Two pages claiming one path is an error (Pelican's rule).
A failed or killed build leaves the previous output folder as it was: the new site is built
beside it (``.public.new-*``) and swapped in by renames only when it is complete.
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import marshal
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Sequence

from .errors import SahifaError


def digest(data: bytes) -> bytes:
    """What the manifest remembers of a file's bytes."""
    return hashlib.blake2b(data, digest_size=16).digest()


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old file or the new one,
    never a part, and a killed process leaves at most a stray temporary file (never ``path``
    half-written)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def manifest_entry(path: Path, data_digest: bytes) -> tuple[int, int, bytes]:
    """What the build cache's manifest keeps of a written file: size, mtime, digest."""
    st = os.lstat(path)
    return st.st_size, st.st_mtime_ns, data_digest


def check_rel(rel: str) -> PurePosixPath:
    """``rel`` as a relative path with no way up: no ``..``, no absolute path, no NUL."""
    if not rel or "\x00" in rel or "\\" in rel:
        raise SahifaError(rel or "(empty path)", "refusing to write an unsafe output path")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts):
        raise SahifaError(rel, "refusing to write outside the output folder")
    return pure


def _plain_rel(rel: str) -> bool:
    """A quick yes for the common case of ``check_rel`` (no PurePosixPath): names separated
    by single slashes, none of them ``.`` or ``..``, no NUL or backslash. False: let
    ``check_rel`` decide (and say why)."""
    if not _PLAIN_PARTS.match(rel):
        return False
    framed = f"/{rel}/"
    return "/./" not in framed and "/../" not in framed


def _all_plain(paths: list[str]) -> bool:
    """``_plain_rel`` of every path, in one pass over them all: joined by newlines (so a
    path holding one is not plain), none may be empty, start or end with a slash, hold an
    empty, ``.`` or ``..`` name, a NUL or a backslash."""
    joined = "\n".join(paths)
    if joined.count("\n") != len(paths) - 1:
        return False
    return _NOT_PLAIN.search(joined) is None


_NOT_PLAIN = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|[\x00\\]", re.MULTILINE)
"""Where a newline-joined list of paths has a path that is not plain: an empty, ``.`` or
``..`` name (at a path's start or end too, so an empty path, a leading, a trailing or a
doubled slash), a NUL or a backslash. In MULTILINE mode ``$`` also matches just before
the text's final newline: harmless, it can only say "not plain" of a path that is."""


_PLAIN_PARTS = re.compile(r"[^/\x00\\]+(?:/[^/\x00\\]+)*\Z")
"""Non-empty names without NUL or backslash, separated by single slashes."""


def safe_join(root: Path, rel: str) -> Path:
    """``root / rel`` if and only if it stays inside ``root`` (also through links)."""
    pure = check_rel(rel)
    target = root.joinpath(*pure.parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise SahifaError(rel, "refusing to write outside the output folder")
    return target


class OutputWriter:
    """Collects one build's files and puts them in place when the build has succeeded.

    Two ways, same result byte for byte:

    - full (no ``previous`` manifest): every file goes into a staging folder that
      ``commit()`` swaps with the output folder;
    - incremental (``previous``: the manifest of the build now in the output folder, checked
      against the folder by the caller): a file whose bytes are unchanged is not written
      again; changed files are staged, the unchanged ones are hard-linked into the staging
      folder beside them (same inode, same mtime: the manifest stays true), and the staging
      folder is swapped in like a full build's. Files the new build no longer makes are
      simply not in it. A build killed at any moment leaves the previous site whole.
    """

    def __init__(
        self,
        out_dir: Path,
        previous: dict[str, tuple] | None = None,
        *,
        spare: Path | None = None,
        spare_manifest: dict[str, tuple] | None = None,
    ) -> None:
        """``previous``: the manifest of the build now in ``out_dir`` (checked by the caller).
        ``spare``: where the tree this build replaces is kept for the next build (the site's
        own state folder; see ``commit``); ``spare_manifest``: what the tree kept there holds,
        if the caller knows (None: it is not trusted, and removed)."""
        self.out_dir = out_dir.absolute()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        recover(self.out_dir)
        self.previous = previous if previous is not None and self.out_dir.is_dir() else None
        self.spare_dir = (
            spare if spare is not None and _same_device(spare.parent, self.out_dir.parent) else None
        )
        self.spare: dict[str, tuple] | None = None
        """The manifest of the staging folder's files when it starts as the spare tree."""
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.new-", dir=self.out_dir.parent))
        if self.spare_dir is not None:
            remove_partials(self.spare_dir)  # a killed build's catch-up (``SpareCatchUp``)
        if self.spare_dir is not None and self.spare_dir.is_dir():
            if self.previous is not None and spare_manifest is not None:
                try:
                    os.replace(self.spare_dir, self.stage)  # onto the empty folder mkdtemp made
                    self.spare = spare_manifest
                except OSError:
                    pass
            if self.spare is None:  # a tree nobody can vouch for (a killed build's, say)
                shutil.rmtree(self.spare_dir, ignore_errors=True)
        os.chmod(self.stage, 0o755)  # mkdtemp makes it private; the swapped-in site must be readable
        self.trash: str | None = None
        """Where files of the spare tree that are in the way go (``_clear_target``), removed
        after the commit (``discard``): removing a file while a build writes thousands took a
        tenth of a millisecond and more; moving it, a fiftieth, and the removals then go on
        while the build saves its state. Named like the staging folder, so that a killed
        build's is removed like its staging folder (``recover``)."""
        self._discarding = None  # the process removing ``trash`` meanwhile (``discard_meanwhile``)
        if self.spare is not None:
            self.trash = f"{self.stage}.trash"
            os.mkdir(self.trash, 0o700)
        self.written: set[str] = set()
        self.digests: dict[str, bytes] = {}
        self.changed: set[str] = set()
        self._sources = OutputSources(self.out_dir)
        self._ready: set[str] = set()
        """Folders of the staging folder this process made sure of (``_make_way``; no two
        claimed paths are one file and one folder: a clean build of such paths fails)."""
        self.kept_spare: dict[str, tuple] | None = None
        """After ``commit``: the manifest of the tree now kept as the spare (None: none kept)."""

    def claim(self, paths) -> None:
        """Register paths that other processes will write into the staging folder. The
        staging folder is new and only this build writes into it, so no link can be inside
        it: checking the path's form is enough (``commit`` checks against links again).
        Many paths at once are checked together (``_all_plain``; not again those the last
        build wrote), one at a time only when one of them is not plain or claimed twice (to
        say which)."""
        paths = paths if isinstance(paths, (list, tuple)) else list(paths)
        if len(paths) > 1:
            fresh = set(paths)
            if len(fresh) == len(paths) and fresh.isdisjoint(self.written):
                # A path the last build wrote (its manifest) was checked when it claimed it:
                # only the others are looked at (0.2 s for 190,000 paths of Arabic names).
                unknown = fresh - self.previous.keys() if self.previous else fresh
                if not unknown or _all_plain(list(unknown)):
                    self.written |= fresh
                    return
        for rel in paths:
            if rel in self.written:
                raise SahifaError(rel, "two pages claim the same output path")
            if not _plain_rel(rel):
                check_rel(rel)
            self.written.add(rel)

    def unchanged(self, rel: str, data_digest: bytes) -> bool:
        """True when the output folder already holds exactly these bytes at ``rel``."""
        entry = self.previous.get(rel) if self.previous is not None else None
        return entry is not None and entry[2] == data_digest

    def stage_file(self, rel: str, data: bytes) -> tuple[bytes, bool]:
        """Put ``data`` at ``rel`` in the staging folder unless the output folder already
        holds these bytes; returns the digest and whether the staged file differs from the
        output folder's. Safe to call from the forked workers for paths the parent claims
        (before or after): the staging folder is this build's own, so checking the path's
        form is enough. A spare tree's file may be a hard link to the output folder's: it
        is replaced, never written through."""
        check_rel(rel)
        data_digest = digest(data)
        if self.unchanged(rel, data_digest):
            return data_digest, False
        if self.spare is not None:
            entry = self.spare.get(rel)
            if entry is not None and entry[2] == data_digest:
                return data_digest, True  # the spare tree holds these bytes already
        target = _make_way(self.stage, rel, self._ready, clear=self.spare is not None, trash=self.trash)
        with open(target, "wb") as fh:
            fh.write(data)
        return data_digest, True

    def note(self, rel: str, data_digest: bytes, staged: bool) -> None:
        """A claimed file was handled by a worker: its digest, and whether it was staged. A
        claimed file not noted is as the output folder holds it (``commit``; an incremental
        build's pages kept as they are)."""
        self.digests[rel] = data_digest
        if staged:
            self.changed.add(rel)

    def write(self, rel: str, data: bytes | str) -> None:
        """Claim, stage and note one file in this process (sitemaps, static files)."""
        self.claim((rel,))
        self.note(rel, *self.stage_file(rel, data.encode("utf-8") if isinstance(data, str) else data))

    def copy_layers(self, folders: Sequence[Path], rel: str) -> None:
        """Copy folders of static files into ``rel``, a file of an earlier folder winning over
        the same path in a later one (a theme's override; see ``SiteConfig.theme_layers``)."""
        for name, path in sorted(layered_files(folders).items()):
            self.write(f"{rel}/{name}", path.read_bytes())

    def commit(self) -> dict[str, tuple[int, int, bytes]]:
        """Put the new site in place; returns its manifest (path -> size, mtime_ns, digest).

        Incremental builds keep the tree they replace as the spare (``kept_spare``): the next
        build starts its staging folder from it and brings it up to date file by file (what
        changed in this build and in that one), instead of linking every unchanged file into
        an empty folder. Either way the output folder is replaced by one exchange."""
        if self.previous is None:
            self._swap(keep=False)
            return self._manifest(self.written)
        previous = self.previous
        if self.spare is None:
            stage = os.fspath(self.stage)
            made: set[str] = set()
            for rel in sorted(self.written - self.changed):
                folder = rel.rpartition("/")[0]
                if folder and folder not in made:
                    os.makedirs(f"{stage}/{folder}", exist_ok=True)
                    made.add(folder)
                self._link(rel, f"{stage}/{rel}")
            manifest = {rel: previous[rel] for rel in self.written - self.changed}
            manifest.update(
                {rel: manifest_entry(self.stage / rel, self.digests[rel]) for rel in self.changed}
            )
        else:
            # A file not staged now is as the output folder has it; where the spare tree's
            # entry is the output folder's too (nearly every file: the spare was caught up),
            # the spare's file is right as it is. Only the others are looked at one by one.
            spare, changed = self.spare, self.changed
            odd = _unlike(previous, spare) | changed
            odd &= self.written
            gone = sorted(spare.keys() - self.written)
            manifest = dict(spare)
            for rel in gone:
                del manifest[rel]
            for rel in odd:
                entry = spare.get(rel)
                ours = self.digests[rel] if rel in changed else previous[rel][2]
                if entry is not None and entry[2] == ours:
                    manifest[rel] = entry  # the spare's file is right as it is
                elif rel in changed:
                    manifest[rel] = manifest_entry(self.stage / rel, ours)  # staged now
                else:  # unchanged since the output folder's build: share its file
                    self._link(rel, _make_way(self.stage, rel, self._ready, clear=True, trash=self.trash))
                    manifest[rel] = previous[rel]
            _remove_files(self.stage, gone)
        self._swap(keep=True)
        self.kept_spare = previous if self.spare_dir is not None else None
        return manifest

    def _link(self, rel: str, target: str) -> None:
        """Hard-link the output folder's file at ``rel`` (a path ``claim`` checked the form
        of) to ``target`` in the staging folder."""
        _link_or_copy(self._source(rel), target)

    def _source(self, rel: str) -> str:
        return self._sources.source(rel)

    def _manifest(self, paths) -> dict[str, tuple[int, int, bytes]]:
        return {rel: manifest_entry(self.out_dir / rel, self.digests[rel]) for rel in paths}

    def _swap(self, *, keep: bool) -> None:
        """Swap the staged folder in; ``keep``: the replaced tree becomes the spare (else it
        is deleted).

        Where the kernel offers it (Linux ``renameat2(RENAME_EXCHANGE)``), the two folders
        trade places in one atomic step, so ``public/`` is never missing, not even for an
        instant. Elsewhere: old -> ``.old``, new -> output, then the old one is dropped; a
        build killed between the two renames is repaired by ``recover`` on the next build.
        """
        if self.out_dir.is_dir() and not self.out_dir.is_symlink() and _exchange(self.stage, self.out_dir):
            self._retire(self.stage, keep)  # now holds the previous site
            return
        old = None
        if self.out_dir.exists() or self.out_dir.is_symlink():
            old = self.out_dir.with_name(f".{self.out_dir.name}.old")
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)
            os.replace(self.out_dir, old)
        os.replace(self.stage, self.out_dir)
        if old is not None:
            self._retire(old, keep)

    def _retire(self, tree: Path, keep: bool) -> None:
        if keep and self.spare_dir is not None:
            # The replaced tree holds what its manifest says, and perhaps a file the preview
            # put at its top that no build made (its error page): not kept for a later build.
            names = {rel.partition("/")[0] for rel in self.previous or ()}
            try:
                with os.scandir(tree) as entries:
                    strays = [entry for entry in entries if entry.name not in names]
                for entry in strays:
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                self.spare_dir.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tree, self.spare_dir)
                return
            except OSError:
                self.spare_dir = None
        shutil.rmtree(tree, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
        self.discard()

    def discard_meanwhile(self) -> None:
        """Start removing the files the build moved out of its way (``trash``) in a process of
        its own while the caller goes on (none for a few files: ``CATCH_UP_MIN``);
        ``discard`` waits for it, or removes them itself. The removals are system calls, but
        ``shutil.rmtree``'s walk between them holds the interpreter's lock: in a thread,
        6,000 files took from the build's last steps (saving its state) as much time as they
        took to remove. A new interpreter, not a fork (as ``SpareCatchUp``): a fork marks
        every page of this process's memory to be copied when written, and the build's last
        steps write to most of them (at 100,000 stories, 130,000 page faults while the state
        was saved). The build is not over (nor the site's lock released) before its output
        folder's neighbours are as a clean build leaves them."""
        if self.trash is None or self._discarding is not None or len(self.changed) < CATCH_UP_MIN:
            return
        try:
            self._discarding = subprocess.Popen(
                [sys.executable, "-I", "-c", _DISCARD_MAIN, self.trash],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError, TypeError):  # (no interpreter to start: an embedded one)
            self._discarding = None  # removed by ``discard``

    def discard(self) -> None:
        """Remove the files the build moved out of its way (``trash``), or wait for the process
        ``discard_meanwhile`` started to have done it."""
        if self._discarding is not None:
            self._discarding.wait()
            self._discarding = None
        if self.trash is not None:
            shutil.rmtree(self.trash, ignore_errors=True)
            self.trash = None


class OutputSources:
    """The output folder's files, to link into a staging folder."""

    def __init__(self, out_dir: Path) -> None:
        self._out = os.fspath(out_dir)
        self._real_out = os.path.realpath(self._out)
        self._inside: set[str] = set()
        """Folders of the output folder found not to lead out of it (``source``)."""

    def source(self, rel: str) -> str:
        """The output folder's file at ``rel``, refusing one reached through a link that
        leads out of the folder (as ``safe_join`` does). Each folder on the way is looked at
        once per build, not once per file: resolving every component of every path made the
        first incremental build after a full one link 100,000 files at 0.1 ms each."""
        folder = rel.rpartition("/")[0]
        if folder and folder not in self._inside:
            self._check_folder(folder)
        return f"{self._out}/{rel}"

    def _check_folder(self, folder: str) -> None:
        parent = folder.rpartition("/")[0]
        if parent and parent not in self._inside:
            self._check_folder(parent)
        path = f"{self._out}/{folder}"
        if os.path.islink(path):  # its parent is inside: only a link can lead elsewhere
            real = os.path.realpath(path)
            if real != self._real_out and not real.startswith(self._real_out + os.sep):
                raise SahifaError(folder, "refusing to write outside the output folder")
        self._inside.add(folder)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:  # a file system without hard links: a copy keeps the mtime too
        shutil.copy2(source, target, follow_symlinks=False)


class SpareCatchUp:
    """The spare tree (the output tree the last build replaced, ``OutputWriter``'s staging
    folder to be) brought up to the output folder as the last build left it, by a process of
    its own, while this build models its stories (the core that serial step leaves idle):
    the files the last build changed are linked from the output folder, the files it removed
    are removed. Without it, a correction after a publish links the 2,500 front pages that
    publish shifted while it commits (0.6 to 1.3 s with 100,000 stories).

    ``prepare`` when the last build's state is known, ``start`` when it is worth it (the
    caller knows once it has read the sources), ``finish`` before the writer takes the tree.
    Meanwhile the tree is under another name (``partial``): a build killed before ``finish``
    leaves no spare that the last state would vouch for (the next build then starts from an
    empty folder)."""

    def __init__(self, spare_dir: Path, out_dir: Path, previous: dict, spare: dict) -> None:
        self.spare_dir, self.out_dir = spare_dir, out_dir
        self.partial = spare_dir.with_name(f"{spare_dir.name}.partial-{os.urandom(4).hex()}")
        """The tree's name while it is caught up: a name of its own, so that a catch-up a
        killed build left running (where the system does not end it with its parent) never
        works in the tree of another."""
        self.previous, self.spare = previous, spare
        self.process: subprocess.Popen | None = None
        self.manifest: dict = {}
        """What the tree holds once caught up: the spare's entries of the files it kept, the
        output folder's of the files linked."""

    @classmethod
    def prepare(cls, spare_dir: Path, out_dir: Path, previous: dict, spare: dict) -> "SpareCatchUp | None":
        """None when the writer could not use the tree anyway."""
        if (
            not spare_dir.is_dir()
            or not out_dir.is_dir()
            or not _same_device(spare_dir.parent, out_dir.parent)
        ):
            return None
        return cls(spare_dir, out_dir, previous, spare)

    def start(self) -> None:
        """Start the process, unless the last build changed too few files to be worth one."""
        previous, spare = self.previous, self.spare
        stale = sorted(
            rel
            for rel in _unlike(previous, spare)
            if (kept := spare.get(rel)) is None or kept[2] != previous[rel][2]
        )
        gone = sorted(spare.keys() - previous.keys())
        if len(stale) + len(gone) < CATCH_UP_MIN:
            return
        remove_partials(self.spare_dir)
        try:
            os.replace(self.spare_dir, self.partial)
        except OSError:
            return
        # A new interpreter, not a fork: a forked child would share this process's memory
        # while it models 100,000 stories, and every page this process then wrote to would
        # be copied first.
        work = self.partial.with_name(self.partial.name + ".todo")
        try:
            atomic_write(
                work,
                marshal.dumps((os.fspath(self.partial), os.fspath(self.out_dir), stale, gone, os.getpid())),
            )
            package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", _CATCH_UP_MAIN, package, work],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            work.unlink(missing_ok=True)
            os.replace(self.partial, self.spare_dir)
            return
        self.manifest = dict(spare)
        for rel in gone:
            del self.manifest[rel]
        self.manifest.update((rel, previous[rel]) for rel in stale)

    def finish(self, keep: bool, spare: dict | None) -> dict | None:
        """Wait for the process; the tree's manifest for the writer (``spare``, the last
        state's, when nothing was started; None when the tree is gone: it failed, or ``keep``
        was false)."""
        process = self.process
        if process is None:
            return spare
        status = process.wait()  # interrupted: ``cancel`` still has the process to end
        self.process = None
        self.partial.with_name(self.partial.name + ".todo").unlink(missing_ok=True)  # if it never read it
        if status == 0 and keep:
            try:
                os.replace(self.partial, self.spare_dir)
                return self.manifest
            except OSError:
                pass
        shutil.rmtree(self.partial, ignore_errors=True)
        return None

    def cancel(self) -> None:
        if self.process is not None:
            self.process.kill()
        self.finish(keep=False, spare=None)


CATCH_UP_MIN = 1000
"""Fewer files than this are linked at commit in about the time a process takes to start."""


def remove_partials(spare_dir: Path) -> None:
    """Remove what ``SpareCatchUp`` left of a killed build: trees under another name and
    their work files."""
    for found in spare_dir.parent.glob(f"{spare_dir.name}.partial-*"):
        if found.is_dir() and not found.is_symlink():
            shutil.rmtree(found, ignore_errors=True)
        else:
            found.unlink(missing_ok=True)


_DISCARD_MAIN = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
"""``OutputWriter.discard_meanwhile``'s process."""

_CATCH_UP_MAIN = (
    "import sys; sys.path.insert(0, sys.argv[1]); from generator.write import catch_up_main; catch_up_main()"
)


def catch_up_main() -> None:
    """``SpareCatchUp``'s process: its work read from the file named on the command line."""
    from .parallel import die_with_parent

    work = Path(sys.argv[2])
    tree, out_dir, stale, gone, parent = marshal.loads(work.read_bytes())
    work.unlink()
    die_with_parent(parent)
    _catch_up(Path(tree), Path(out_dir), stale, gone)


def _catch_up(tree: Path, out_dir: Path, stale: list[str], gone: list[str]) -> None:
    """In ``tree``: remove ``gone``, and link ``stale`` from ``out_dir`` (as ``commit``
    does, refusing a file reached through a link that leads out of the output folder)."""
    _remove_files(tree, gone)
    sources = OutputSources(out_dir)
    ready: set[str] = set()
    for rel in stale:
        _link_or_copy(sources.source(rel), _make_way(tree, rel, ready, clear=True))


def _same_device(a: Path, b: Path) -> bool:
    """True when ``a`` (made if missing) and ``b`` are on one file system (renames work)."""
    try:
        a.mkdir(parents=True, exist_ok=True)
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _make_way(root: Path, rel: str, ready: set[str], *, clear: bool, trash: str | None = None) -> str:
    """The path to write ``rel`` at under ``root``, its folders made; ``clear``: ``root`` is a
    kept tree, whatever is in the way is removed (``_clear_way``; into ``trash``, a folder on
    the same file system, if given: ``_clear_target``). ``ready``: the folders the
    caller made sure of already (a folder a path runs through does not become a file later
    in the same build), so that a folder of 2,500 pages is looked at once, not level by level
    for each."""
    folder = rel.rpartition("/")[0]
    target = os.path.join(root, rel)
    if folder not in ready:
        if clear:
            _clear_way(root, rel, trash)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        ready.add(folder)
    elif clear:
        _clear_target(target, trash)
    return target


def _unlike(previous: dict, spare: dict) -> set[str]:
    """The paths whose entry in ``spare`` is not the one in ``previous`` (or none), the two
    manifests compared as whole sets (190,000 files at 100,000 stories, a few thousand
    differ)."""
    return {rel for rel, _ in previous.items() - spare.items()}


def _remove_files(root: Path, gone: list[str]) -> None:
    """Remove the files at ``gone`` under ``root`` and the folders that leaves empty."""
    for rel in gone:
        try:
            os.unlink(os.path.join(root, rel))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            pass  # gone already, or its path is now a folder (or under a file) of this build
    _prune_empty(root, gone)


def _clear_way(root: Path, rel: str, trash: str | None = None) -> None:
    """Make room for a new file at ``rel`` under ``root`` (a spare tree): remove (or move into
    ``trash``: ``_clear_target``) the file there (it may be a hard link to the output
    folder's: never write through it), a folder in its place, or a file in the place of one
    of its folders. One ``lstat`` per level."""
    parts = PurePosixPath(rel).parts
    path = os.fspath(root)
    for part in parts[:-1]:
        path = os.path.join(path, part)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return
        if stat.S_ISLNK(mode) or stat.S_ISREG(mode):
            _clear_target(path, trash)  # two workers may clear the same file for two pages
            return
        if not stat.S_ISDIR(mode):
            return
    _clear_target(os.path.join(path, parts[-1]), trash)


_TRASHED = itertools.count()
"""Names in a trash folder: with the process id, unique across a build's forked workers."""


def _clear_target(target: str, trash: str | None = None) -> None:
    """Remove the file or the folder at ``target`` (a path whose folders are in place), or
    move it into ``trash`` (removed there if it cannot be moved)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if trash is not None:
        try:
            os.rename(target, f"{trash}/{os.getpid()}-{next(_TRASHED)}")
            return
        except OSError:
            pass  # gone meanwhile (another worker cleared it), or not movable: removed here
    if stat.S_ISDIR(mode):
        shutil.rmtree(target)
    else:
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass


def _prune_empty(root: Path, removed: list[str]) -> None:
    """Remove the folders under ``root`` that removing ``removed`` left empty (a clean build
    has no empty folder), deepest first."""
    folders = {parent for rel in removed for parent in PurePosixPath(rel).parents if parent.parts}
    for folder in sorted(folders, key=lambda p: -len(p.parts)):
        try:
            os.rmdir(root.joinpath(*folder.parts))
        except OSError:
            pass  # not empty, or already gone


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with ``renameat2(..., RENAME_EXCHANGE)``; False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def recover(out_dir: Path) -> None:
    """After a build killed between the two renames of ``commit``, put the old site back."""
    old = out_dir.with_name(f".{out_dir.name}.old")
    if old.exists() and not out_dir.exists():
        os.replace(old, out_dir)
    for stale in out_dir.parent.glob(f".{out_dir.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)


OUTPUT_MARKER = ".sahifa-output"
"""A file in every output folder a build makes: the build replaces only folders that hold it."""
MARKER_TEXT = (
    "This folder is made by Sahifa (python build.py) and is replaced as a whole by "
    "every build. Do not keep other files in it.\n"
)


def owned_or_empty(out: Path) -> bool:
    """True when the build may replace ``out``: it does not exist, is empty, or holds the
    marker of a folder Sahifa made."""
    if not out.exists():
        return True
    if (out / OUTPUT_MARKER).is_file():
        return True
    try:
        with os.scandir(out) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def check_output_dir(config, out_dir: Path) -> Path:
    """The output folder, made absolute, or ``SahifaError`` when it is a dangerous choice.

    The build replaces the whole output folder, so it must not be (or contain) the site root,
    and must not be or lie inside an input folder (``content/``, ``seeds/``, ``templates/``,
    ``static/``, ``locale/``): Pelican users lost whole folders to such a setting.
    """
    out = Path(os.path.abspath(out_dir))
    resolved = out.resolve()
    root = config.root.resolve()
    if root.is_relative_to(resolved):
        raise SahifaError(
            str(out_dir),
            "the output folder is the site folder or contains it; "
            "refusing to build (choose e.g. ROOT/public)",
        )
    for folder in config.input_dirs:
        folder = folder.resolve()
        if resolved.is_relative_to(folder):
            raise SahifaError(
                str(out_dir),
                f"the output folder is inside the input folder {folder.name}/; refusing to build",
            )
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SahifaError(
            str(out_dir),
            "the output path exists and is not a plain folder (a link or a file); refusing to replace it",
        )
    return out


def layered_files(folders: Sequence[Path]) -> dict[str, Path]:
    """Relative path -> file, over ``folders`` in order, the first folder's file winning.
    Regular files only; links are not followed; the walk is ``paths.walk`` (iterative,
    depth-limited)."""
    from .paths import is_editor_file, walk

    files: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in walk(folder, None, folder, [], recursive=True, hidden=True):
            if not path.is_symlink() and path.is_file() and not is_editor_file(path.name):
                files.setdefault(path.relative_to(folder).as_posix(), path)
    return files
