"""Read stage, first step: find the input files and hand each to its reader.

Only regular files inside ``content/<lang>/`` and ``seeds/`` are read, in sorted order;
links that point outside those folders, FIFOs and other special files are reported and
skipped. One bad file never stops the build: its error is recorded and the rest go on.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .config import SiteConfig
from .errors import SahifaError
from .model import ArticleRecord

SEED_SUFFIXES = (".txt", ".html", ".htm")


@dataclass(frozen=True)
class SourceFile:
    path: Path
    kind: str  # "seed" or "markdown"
    lang: str | None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_file(path: Path, folder: Path, root: Path) -> None:
    if path.is_symlink() and not path.resolve().is_relative_to(folder.resolve()):
        raise SahifaError(_rel(path, root), "is a link to a file outside its folder; skipped")
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise SahifaError(_rel(path, root), "is not a regular file; skipped")


def discover(config: SiteConfig) -> tuple[list[SourceFile], list[str]]:
    """All input files, sorted, and the problems met while looking for them."""
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
            problems.append(f"{_rel(path, root)}: cannot be read ({exc.strerror or exc})")
            return
        found.append(SourceFile(path, kind, lang))

    if config.content_dir.is_dir():
        for lang_dir in sorted(config.content_dir.iterdir()):
            if not lang_dir.is_dir() or lang_dir.name.startswith("."):
                continue
            if lang_dir.name not in config.language_codes:
                problems.append(f"{_rel(lang_dir, root)}: language {lang_dir.name!r} is not configured in site.toml; skipped")
                continue
            for path in sorted(lang_dir.rglob("*.md")):
                consider(path, config.content_dir, "markdown", lang_dir.name)
    if config.seeds_dir.is_dir():
        for path in sorted(config.seeds_dir.iterdir()):
            if path.suffix.lower() in SEED_SUFFIXES and not path.name.startswith("."):
                consider(path, config.seeds_dir, "seed", None)
    return found, problems


def read_source(source: SourceFile, root: Path, *, trusted: bool = False) -> ArticleRecord:
    """Run the right reader; any failure becomes a ``SahifaError`` naming the file."""
    from .content import read_markdown

    rel = _rel(source.path, root)
    try:
        if source.kind == "markdown":
            return read_markdown(source.path, root, source.lang, trusted=trusted)
        from .seeds import read_seed

        return read_seed(source.path, root)
    except SahifaError:
        raise
    except RecursionError:
        raise SahifaError(rel, "the text is nested too deeply to read") from None
    except (UnicodeError, ValueError, OSError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise SahifaError(rel, f"could not be read: {type(exc).__name__}: {exc}") from exc


def read_all(sources: list[SourceFile], root: Path, *, trusted: bool = False,
             reader: Callable[..., ArticleRecord] = read_source) -> Iterator[ArticleRecord | SahifaError]:
    for source in sources:
        try:
            yield reader(source, root, trusted=trusted)
        except SahifaError as exc:
            yield exc
