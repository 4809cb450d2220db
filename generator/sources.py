"""Read stage, first step: find the input files and hand each to its reader.

Only regular files inside ``content/<lang>/`` and ``seeds/`` are read, in sorted order;
links that point outside those folders, FIFOs and other special files are reported and
skipped. One bad file never stops the build: its error is recorded and the rest go on.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from .config import SiteConfig
from .errors import SahifaError
from .model import ArticleRecord
from .cache import signature
from .paths import check_file, printable_path, rel_path as _rel, walk  # noqa: F401


@dataclass(frozen=True)
class SourceFile:
    name: str
    """The file's path, as text (``path`` is made from it when first asked for: 10,000
    ``Path`` objects cost a build 50 ms, and most sources are not read again)."""
    kind: str  # the kind of the reader that reads it (``readers.READERS``)
    lang: str | None
    signature: tuple | None = None
    """``cache.signature`` of the file when it was found (None: not taken)."""

    @cached_property
    def path(self) -> Path:
        return Path(self.name)


def discover(config: SiteConfig, scans: dict | None = None) -> tuple[list[SourceFile], list[str]]:
    """All input files, sorted, and the problems met while looking for them.

    Only regular files are read: FIFOs and devices are skipped (opening a FIFO would block the
    build), links are followed only to files inside the same input folder, file names that
    are not UTF-8 are reported, and nothing above ``MAX_INPUT_BYTES`` is read.

    ``scans``: the input folders as the build's fingerprint just listed them
    (``cache.inputs_digest``). When they hold nothing but folders and regular files that
    are fit to read, the sources are taken from them (one look at each file per build,
    not two); anything else (a link, a special file, a name or size to report) is looked
    at again here, with the messages it deserves.
    """
    if scans is not None:
        found = _scanned(config, scans)
        if found is not None:
            return found, []
    root = config.root
    found: list[SourceFile] = []
    problems: list[str] = []

    def consider(path: Path, folder: Path, kind: str, lang: str | None) -> None:
        try:
            st = check_file(path, folder, root)
        except SahifaError as exc:
            problems.append(str(exc))
            return
        except OSError as exc:
            problems.append(f"{_rel(path, root)}: cannot be read ({exc.strerror or exc}); skipped")
            return
        found.append(SourceFile(str(path), kind, lang, signature(st)))

    from .readers import READERS

    for reader in READERS:
        folder = root / reader.folder
        if not folder.is_dir():
            continue
        if not reader.per_language:
            for path in walk(folder, reader.suffixes, root, problems, recursive=True):
                consider(path, folder, reader.kind, None)
            continue
        for lang_dir in sorted(folder.iterdir()):
            if lang_dir.name.startswith(".") or not lang_dir.is_dir():
                continue
            if lang_dir.name in config.content_data_dirs and lang_dir.name not in config.language_codes:
                continue  # content/images/, content/authors/ ...: read by their own stages
            if lang_dir.is_symlink():
                problems.append(
                    f"{_rel(lang_dir, root)}: is a link to a folder; links to folders are not followed; skipped"
                )
                continue
            if lang_dir.name not in config.language_codes:
                problems.append(
                    f"{_rel(lang_dir, root)}: language {printable_path(lang_dir.name)!r} is not configured in site.toml; skipped"
                )
                continue
            for path in walk(lang_dir, reader.suffixes, root, problems, recursive=True):
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
        raise SahifaError(
            rel,
            f"{exc} (article_time_limit in site.toml); a shape of text the "
            "parsers handle slowly, such as thousands of nested brackets or "
            "unclosed tags; skipped",
        ) from None
    except RecursionError:
        raise SahifaError(rel, "the text is nested too deeply to read") from None
    except OSError as exc:
        raise SahifaError(rel, f"cannot read the file ({exc.strerror or exc})") from exc
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the build (R4)
        raise SahifaError(rel, f"could not be read: {type(exc).__name__}: {exc}") from exc


def read_all(
    sources: list[SourceFile], options, *, reader: Callable[..., list[ArticleRecord]] = read_source
) -> Iterator[list[ArticleRecord] | SahifaError]:
    """Each source's records (a list: one input may carry several stories) or its error."""
    for source in sources:
        try:
            yield reader(source, options)
        except SahifaError as exc:
            yield exc


def _scanned(config: SiteConfig, scans: dict) -> list[SourceFile] | None:
    """``discover``'s answer from ``cache._scan`` entries, in its order, or None when the
    folders hold anything it would report or look at more closely."""
    from .paths import MAX_DEPTH, MAX_INPUT_BYTES
    from .readers import READERS

    codes = set(config.language_codes)
    data_dirs = config.content_data_dirs
    found: list[SourceFile] = []
    for reader in READERS:
        folder = config.root / reader.folder
        entries = scans.get(str(folder))
        if entries is None:
            return None
        if entries == ["absent"]:
            continue
        base = str(folder)
        suffixes = reader.suffixes
        per_language: dict[str, list[SourceFile]] = {}
        for entry in entries:
            rel = entry[0]  # "/ar/story.md"
            if "/." in rel:
                continue  # hidden, or inside a hidden folder: never read
            if _UNDECODED.search(rel):
                return None  # a name that is not UTF-8: reported by the walk
            if len(entry) == 2 and entry[1] == "dir":
                if rel.count("/") >= MAX_DEPTH - 1:
                    return None
                if reader.per_language and rel.count("/") == 1:
                    lang = rel[1:]
                    if lang not in codes and lang not in data_dirs or not lang.isascii():
                        return None  # a folder for a language the site has not: reported
                continue
            if len(entry) != 3 or type(entry[1]) is not tuple or not stat.S_ISREG(entry[2]):
                return None  # a link, a special file, an entry gone or unreadable
            if entry[1][0] > MAX_INPUT_BYTES:
                return None
            lang = None
            if reader.per_language:
                lang = rel[1 : rel.find("/", 1)]
                if lang not in codes or rel.count("/") < 2:
                    continue  # beside the language folders, or in a data folder
            dot = rel.rfind(".")
            if dot <= rel.rfind("/") + 1 or rel[dot:].lower() not in suffixes:
                continue
            source = SourceFile(base + rel, reader.kind, lang, entry[1])
            if lang is None:
                found.append(source)
            else:
                per_language.setdefault(lang, []).append(source)
        for lang in sorted(per_language, key=lambda name: folder / name):
            found.extend(per_language[lang])
    return found


_UNDECODED = re.compile("[\udc80-\udcff]")
"""What ``os.fsdecode`` makes of bytes of a file name that are not UTF-8."""
