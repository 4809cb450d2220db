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
from .seeds import direction


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
        "time": record.published.isoformat(timespec="seconds") if record.timed else None,
        "id": record.source_id,
        "lang": record.lang,
        "dir": record.extra.get("dir") or direction(record.lang),
        "sources": list(record.sources),
        "city": record.city,
        "tags": list(record.tags),
        "terms": {name: list(values) for name, values in record.terms},
        "summary": record.summary,
        "paragraphs": list(record.paragraphs),
        "paragraph_count": record.paragraph_count,
        "warnings": list(record.warnings),
        "encoding": record.extra.get("encoding"),
    }


def inspect_paths(paths, root: Path, options=None) -> list[dict]:
    """Inspect each of ``paths`` (through the reader registry; one dict per story, so an input
    carrying several gives several); errors are reported per file, never raised."""
    from .readers import ReadOptions, read_file

    options = options or ReadOptions(root=root)
    results = []
    for path in paths:
        path = Path(path)
        try:
            results.extend(record_to_dict(record) for record in read_file(path.resolve(), options))
        except SahifaError as exc:
            results.append({"path": exc.path or _relative(path, root), "error": exc.reason})
    return results
