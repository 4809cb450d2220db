"""Read stage, first step: find the input files and hand each to its reader.

Only regular files inside ``content/<lang>/`` and ``seeds/`` are read, in sorted order;
links that point outside those folders, FIFOs and other special files are reported and
skipped. One bad file never stops the build: its error is recorded and the rest go on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .config import SiteConfig
from .errors import SahifaError
from .model import ArticleRecord


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: str  # the kind of the reader that reads it (``readers.READERS``)
    lang: str | None


MAX_INPUT_BYTES = 20_000_000
"""Size cap for any input file (20 MB); larger files are skipped with an error. Markdown has
its own, smaller cap in ``content.MAX_BYTES``."""


def _rel(path: Path, root: Path) -> str:
    """The path as messages show it: relative to the site, bytes that are not UTF-8 as ``\\xNN``."""
    try:
        text = path.relative_to(root).as_posix()
    except ValueError:
        text = str(path)
    return printable_path(text)


def printable_path(text: str) -> str:
    """A file name that can always be printed: undecodable bytes (surrogate escapes) as \\xNN."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _has_undecodable_name(name: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in name)


def _check_file(path: Path, folder: Path, root: Path) -> None:
    """Raise ``SahifaError`` unless ``path`` is a regular file that resolves inside ``folder``."""
    rel = _rel(path, root)
    if _has_undecodable_name(path.name):
        raise SahifaError(rel, "the file name is not valid UTF-8; rename the file; skipped")
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            raise SahifaError(rel, "is a broken link (its target does not exist); skipped") from None
        except (RuntimeError, OSError):
            raise SahifaError(rel, "is a link that loops back on itself; skipped") from None
        if not target.is_relative_to(folder.resolve()):
            raise SahifaError(rel, "is a link to a file outside its folder; skipped")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise SahifaError(rel, "is not a regular file (a pipe, device or folder); skipped")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise SahifaError(rel, f"is {size // 1_000_000} MB, larger than the {MAX_INPUT_BYTES // 1_000_000} MB "
                               "limit for input files; skipped")


def _walk(folder: Path, suffixes: tuple[str, ...], root: Path, problems: list[str], *,
          recursive: bool) -> list[Path]:
    """Candidate files under ``folder`` in sorted order. Hidden names are ignored; links to
    folders are reported and never followed (no escape, no loops)."""
    found: list[Path] = []
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        problems.append(f"{_rel(folder, root)}: cannot list the folder ({exc.strerror or exc}); skipped")
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir(follow_symlinks=False)
            points_to_dir = is_link and entry.is_dir(follow_symlinks=True)
        except OSError:
            is_link, is_dir, points_to_dir = True, False, False
        if points_to_dir:
            problems.append(f"{_rel(path, root)}: is a link to a folder; links to folders are not "
                            "followed; skipped")
            continue
        if is_dir:
            if recursive:
                found.extend(_walk(path, suffixes, root, problems, recursive=True))
            continue
        if path.suffix.lower() in suffixes:
            found.append(path)
    return found


def discover(config: SiteConfig) -> tuple[list[SourceFile], list[str]]:
    """All input files, sorted, and the problems met while looking for them.

    Only regular files are read: FIFOs and devices are skipped (opening a FIFO would block the
    build), links are followed only to files inside the same input folder, file names that
    are not UTF-8 are reported, and nothing above ``MAX_INPUT_BYTES`` is read.
    """
    root = config.root
    found: list[SourceFile] = []
    problems: list[str] = []

    def consider(path: Path, folder: Path, kind: str, lang: str | None) -> None:
        try:
            _check_file(path, folder, root)
        except SahifaError as exc:
            problems.append(str(exc))
            return
        except OSError as exc:
            problems.append(f"{_rel(path, root)}: cannot be read ({exc.strerror or exc}); skipped")
            return
        found.append(SourceFile(path, kind, lang))

    from .readers import READERS

    for reader in READERS:
        folder = root / reader.folder
        if not folder.is_dir():
            continue
        if not reader.per_language:
            for path in _walk(folder, reader.suffixes, root, problems, recursive=False):
                consider(path, folder, reader.kind, None)
            continue
        for lang_dir in sorted(folder.iterdir()):
            if lang_dir.name.startswith(".") or not lang_dir.is_dir():
                continue
            if lang_dir.is_symlink():
                problems.append(f"{_rel(lang_dir, root)}: is a link to a folder; links to folders are not followed; skipped")
                continue
            if lang_dir.name not in config.language_codes:
                problems.append(f"{_rel(lang_dir, root)}: language {printable_path(lang_dir.name)!r} is not configured in site.toml; skipped")
                continue
            for path in _walk(lang_dir, reader.suffixes, root, problems, recursive=True):
                consider(path, folder, reader.kind, lang_dir.name)
    return found, problems


def read_source(source: SourceFile, options) -> list[ArticleRecord]:
    """Run the registered reader; any failure becomes a ``SahifaError`` naming the file."""
    from .budget import Overrun, time_limit
    from .readers import read_file

    rel = _rel(source.path, options.root)
    try:
        with time_limit(options.time_limit):
            return read_file(source.path, options, source.kind, source.lang)
    except SahifaError:
        raise
    except Overrun as exc:
        raise SahifaError(rel, f"{exc} (article_time_limit in site.toml); a shape of text the "
                               "parsers handle slowly, such as thousands of nested brackets or "
                               "unclosed tags; skipped") from None
    except RecursionError:
        raise SahifaError(rel, "the text is nested too deeply to read") from None
    except OSError as exc:
        raise SahifaError(rel, f"cannot read the file ({exc.strerror or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the build (R4)
        raise SahifaError(rel, f"could not be read: {type(exc).__name__}: {exc}") from exc


def read_all(sources: list[SourceFile], options, *,
             reader: Callable[..., list[ArticleRecord]] = read_source
             ) -> Iterator[list[ArticleRecord] | SahifaError]:
    """Each source's records (a list: one input may carry several stories) or its error."""
    for source in sources:
        try:
            yield reader(source, options)
        except SahifaError as exc:
            yield exc
