"""Serve, part one: what a changed path is. Pure functions of the configuration and the file
system; no server, no build.

- ``ARTICLE``: an input a reader takes (``content/``, ``seeds/``). A batch of saved articles
  may be a quick update (``live.LiveSite.quick_update`` decides whether it is exact).
- ``STATIC``: a file under one of the theme layers' ``static/`` folders, copied as it is.
- ``OTHER``: anything else the build reads (templates, catalogues, ``site.toml``, a new
  folder): a full build.
- None: not an input (editors' backup and lock files, the output folder, the cache).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from .config import SiteConfig
from .paths import is_editor_file
from .readers import reader_for


class Kind(Enum):
    ARTICLE = "article"
    STATIC = "static"
    OTHER = "other"


def classify(path: Path, config: SiteConfig, config_path: Path) -> Kind | None:
    """The kind of change a save of ``path`` is (see the module's docstring). Every file under
    a ``static/`` folder counts, hidden ones too (``.htaccess``): the build copies them all."""
    if is_editor_file(path.name):
        return None
    if any(path.is_relative_to(folder) and path != folder for folder in config.static_dirs):
        return Kind.STATIC
    if path.name.startswith("."):
        return None
    if path == config_path:
        return Kind.OTHER
    if not any(path.is_relative_to(folder) for folder in config.input_dirs):
        return None
    if reader_for(path, config.root) is not None:
        return Kind.ARTICLE
    return Kind.OTHER


def batch_kind(kinds: set[Kind | None]) -> Kind:
    """One kind for a batch of changes: ARTICLE or STATIC when all are, else OTHER."""
    kinds = kinds - {None}
    return kinds.pop() if len(kinds) == 1 and Kind.OTHER not in kinds else Kind.OTHER


def static_output(path: Path, config: SiteConfig) -> tuple[str, Path] | None:
    """For a saved static file: its output path (``static/css/site.css``) and the file that
    wins for that path over the theme layers (the saved one, or an override of it). None
    when no layer has a file there any more (a deletion: a full build removes it)."""
    for folder in config.static_dirs:
        if path.is_relative_to(folder) and path != folder:
            rel = path.relative_to(folder).as_posix()
            winner = winning_static(config, rel)
            return (f"static/{rel}", winner) if winner is not None else None
    return None


def winning_static(config: SiteConfig, rel: str) -> Path | None:
    """The file at ``rel`` that wins over the theme layers' static folders (None: none has it)."""
    for folder in config.static_dirs:
        candidate = folder / rel
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
    return None
