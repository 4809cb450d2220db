"""The one input path policy: which files any reader, ``import``, ``inspect``, a sidecar (and
later ``fetch``) may read or write, checked in one place.

- A file is read only when it is a regular file whose real path (links resolved) stays inside
  its input folder: a link to ``/etc/passwd`` or to ``../other-site`` is refused, and so are
  FIFOs, devices and sockets (opening a FIFO would block for ever). The check and the read
  use one open file (``O_NONBLOCK``, then ``fstat``), so the file cannot be swapped for a
  FIFO or grow past its cap between the two.
- Every file type has a size cap; nothing is read beyond it.
- Folder walks are iterative, never follow links to folders, and stop at ``MAX_DEPTH``.
- A path made from data (a ``lang`` value, a slug) is a single plain name: no separator, no
  ``..``, nothing absolute (``safe_name``), and the result must resolve inside its folder
  (``inside``).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .errors import SahifaError

MAX_INPUT_BYTES = 20_000_000
"""Size cap for any input file (20 MB); larger files are skipped with an error. Markdown
(``content.MAX_BYTES``) and YAML sidecars (``fields.MAX_YAML_BYTES``) have smaller caps."""

MAX_DEPTH = 32
"""Folders deeper than this below an input folder are not walked (reported once)."""


def printable_path(text: str) -> str:
    """A file name that can always be printed: undecodable bytes (surrogate escapes) as \\xNN."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def rel_path(path: Path, root: Path) -> str:
    """The path as messages show it: relative to the site, bytes that are not UTF-8 as ``\\xNN``."""
    try:
        text = path.relative_to(root).as_posix()
    except ValueError:
        text = str(path)
    return printable_path(text)


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` (links resolved) is ``folder`` or lies inside it."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def climbs(rel: str) -> bool:
    """True when a relative path written in content has a ``..`` step (either separator)."""
    return ".." in re.split(r"[/\\]", rel)


def safe_name(value: str) -> bool:
    """True for a single plain file or folder name taken from data."""
    return (
        bool(value)
        and value not in (".", "..")
        and "/" not in value
        and "\\" not in value
        and "\x00" not in value
        and not value.startswith(".")
        and ":" not in value
    )


def check_file(path: Path, folder: Path, root: Path) -> os.stat_result:
    """Raise ``SahifaError`` unless ``path`` is a regular file that resolves inside ``folder``;
    return its ``stat`` (of the link's target for a link)."""

    def refused(reason: str) -> SahifaError:
        return SahifaError(rel_path(path, root), reason)  # the path is made only for a message

    if any("\udc80" <= ch <= "\udcff" for ch in path.name):
        raise refused("the file name is not valid UTF-8; rename the file; skipped")
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise refused("is a broken link (its target does not exist); skipped") from None
        except (RuntimeError, OSError):
            raise refused("is a link that loops back on itself; skipped") from None
        if not target.is_relative_to(folder.resolve()):
            raise refused("is a link to a file outside its folder; skipped")
        st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise refused("is not a regular file (a pipe, device, socket or folder); skipped")
    if st.st_size > MAX_INPUT_BYTES:
        raise refused(
            f"is {st.st_size // 1_000_000} MB, larger than the "
            f"{MAX_INPUT_BYTES // 1_000_000} MB limit for input files; skipped"
        )
    return st


def home_folder(path: Path, root: Path, folder: str) -> Path:
    """The folder a file given on the command line must stay in (links included): the
    site's input folder ``folder`` when the file is in it, else the file's own folder."""
    base = root / folder
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
        return base
    except ValueError:
        return Path(os.path.abspath(path)).parent


def read_input(
    path: Path, rel: str, *, limit: int = MAX_INPUT_BYTES, what: str = "the file", folder: Path | None = None
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ``SahifaError`` (naming
    ``rel`` and ``what``): not a regular file, a link out of ``folder``, too large, unreadable.
    A path that is not a link now is opened with ``O_NOFOLLOW``: swapped for a link between
    this check and the open, it is refused, not followed."""
    is_link = path.is_symlink()
    if folder is not None and is_link and not inside(path, folder):
        raise SahifaError(rel, f"{what} is a link to a file outside its folder; not read")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not is_link:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SahifaError(rel, f"{what} cannot be read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SahifaError(
                rel, f"{what} is not a regular file (a pipe, device, socket or folder); not read"
            )
        if st.st_size > limit:
            raise SahifaError(rel, f"{what} is larger than the {_size(limit)} limit; not read")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise SahifaError(rel, f"{what} is larger than the {_size(limit)} limit; not read")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise SahifaError(rel, f"{what} cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _size(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit >= 1_000_000 else f"{limit // 1000} kB"


def walk(
    folder: Path,
    suffixes: tuple[str, ...] | None,
    root: Path,
    problems: list[str],
    *,
    recursive: bool,
    hidden: bool = False,
) -> list[Path]:
    """Candidate files under ``folder``, sorted (by bytes of each name, folder by folder).
    Hidden names are ignored; links to folders are reported and never followed (no escape,
    no loops); folders deeper than ``MAX_DEPTH`` are reported and not entered. Iterative:
    any depth of nesting costs no recursion. ``suffixes`` None: every file; ``hidden``: hidden
    names too (static files such as ``.well-known/``)."""
    found: list[Path] = []
    stack = [(iter(_entries(folder, root, problems)), 0)]
    while stack:
        entries, depth = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith(".") and not hidden:
            continue
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
            points_to_dir = is_link and entry.is_dir(follow_symlinks=True)
        except OSError:
            is_link, is_dir, points_to_dir = True, False, False
        if points_to_dir:
            problems.append(
                f"{rel_path(path, root)}: is a link to a folder; links to folders are not followed; skipped"
            )
            continue
        if is_dir:
            if not recursive:
                continue
            if depth + 1 > MAX_DEPTH:
                problems.append(
                    f"{rel_path(path, root)}: folders nested more than {MAX_DEPTH} deep are not read; skipped"
                )
                continue
            stack.append((iter(_entries(path, root, problems)), depth + 1))
            continue
        if suffixes is None or path.suffix.lower() in suffixes:
            found.append(path)
    return found


def sorted_entries(folder) -> list:
    """The entries of a folder (``os.DirEntry``), sorted by the bytes of their names: the one
    order every walk uses. Raises ``OSError``."""
    with os.scandir(folder) as it:
        return sorted(it, key=lambda e: os.fsencode(e.name))


def _entries(folder: Path, root: Path, problems: list[str]) -> list:
    try:
        return sorted_entries(folder)
    except OSError as exc:
        problems.append(f"{rel_path(folder, root)}: cannot list the folder ({exc.strerror or exc}); skipped")
        return []


EDITOR_SUFFIXES = ("~", ".swp", ".swx", ".tmp")
EDITOR_PREFIXES = ("#", ".#")


def is_editor_file(name: str) -> bool:
    """An editor's backup, swap or lock file (``x.md~``, ``.x.md.swp``, ``#x.md#``): never an
    input, never copied to the output."""
    return name.startswith(EDITOR_PREFIXES) or name.endswith(EDITOR_SUFFIXES)
