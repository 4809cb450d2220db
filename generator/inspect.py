"""Inspection: what the readers make of input files, as plain data for ``build.py inspect``.

Input: file paths and the site root. Output: one dict per file (JSON-ready) with path,
format, title, date, lang, dir, sources, city, tags, summary, paragraphs, paragraph_count,
warnings and encoding; a file that cannot be read gives ``{"path", "error"}`` instead.
Seeds (any extension but ``.md``) go to ``seeds.read_seed``; Markdown files to
``content.read_markdown`` when that reader is available.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SahifaError
from .model import ArticleRecord
from .seeds import direction, read_seed


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def record_to_dict(record: ArticleRecord) -> dict:
    """The inspection view of one record."""
    return {
        "path": record.path,
        "kind": record.kind,
        "format": record.format,
        "title": record.title,
        "date": record.date.isoformat() if record.date else None,
        "lang": record.lang,
        "dir": record.extra.get("dir") or direction(record.lang),
        "sources": list(record.sources),
        "city": record.city,
        "tags": list(record.tags),
        "summary": record.summary,
        "paragraphs": list(record.paragraphs),
        "paragraph_count": record.paragraph_count,
        "warnings": list(record.warnings),
        "encoding": record.extra.get("encoding"),
    }


def _read(path: Path, root: Path) -> ArticleRecord:
    if path.suffix.lower() in (".md", ".markdown"):
        from .content import read_markdown

        return read_markdown(path, root, None)
    return read_seed(path, root)


def inspect_paths(paths, root: Path) -> list[dict]:
    """Inspect each of ``paths``; errors are reported per file, never raised."""
    results = []
    for path in paths:
        path = Path(path)
        try:
            results.append(record_to_dict(_read(path, root)))
        except SahifaError as exc:
            results.append({"path": exc.path or _relative(path, root), "error": exc.reason})
    return results
