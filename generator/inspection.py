"""Inspection: what the readers make of input files, as plain data for ``build.py inspect``.

Input: file paths and the site root. Output: one dict per file (JSON-ready) with path,
format, title, date, lang, dir, sources, city, tags, summary, paragraphs, paragraph_count,
warnings and encoding; a file that cannot be read gives ``{"path", "error"}`` instead.
Seeds (any extension but ``.md``) go to ``seeds.read_seed``; Markdown files to
``content.read_markdown`` when that reader is available.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import SahifaError
from .model import ArticleRecord
from .languages import direction


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
    carrying several gives several). Each file is read under the input path policy and the
    per-input time limit; whatever goes wrong with one file (not a regular file, too large,
    bad sidecar, a bug) is that file's ``error`` and the others go on."""
    from .readers import ReadOptions, choose_reader
    from .sources import SourceFile, read_source

    options = options or ReadOptions(root=root)
    results = []
    for path in paths:
        path = Path(path)
        name = _relative(path, root)
        try:
            path = Path(os.path.abspath(path))  # links are not resolved: the reader checks them
            reader, lang = choose_reader(path, options.root, name)
            records = read_source(SourceFile(str(path), reader.kind, lang), options)
            results.extend(record_to_dict(record) for record in records)
        except SahifaError as exc:
            results.append({"path": exc.path or name, "error": exc.reason})
        except Exception as exc:  # noqa: BLE001 - one file's problem never hides the others'
            results.append({"path": name, "error": f"{type(exc).__name__}: {exc}"})
    return results
