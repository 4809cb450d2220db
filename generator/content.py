"""Read stage for authored articles: ``content/<lang>/*.md`` (YAML front matter + Markdown).

Front matter is untrusted data: YAML is read with a safe loader that refuses aliases (no
"billion laughs") and keeps timestamps as strings (our own date code parses them). Fields are
type-checked; a wrong field is a ``SahifaError`` naming the file and the field.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

from .decode import decode_bytes
from .errors import SahifaError
from .paths import home_folder, read_input
from .textnorm import clean_text
from .fields import DEFAULT_SCHEMA, Schema, load_yaml, read_fields, seed_id
from .markup import html_to_paragraphs, markdown_to_html
from .model import ArticleRecord, make_terms
from .readers import source_digest

MAX_BYTES = 2_000_000
_FENCE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def decode_source(data: bytes, path: str) -> tuple[str, str, list[str]]:
    """Bytes to clean text; the seed importer's decoder knows legacy Arabic encodings."""
    return decode_bytes(data, path)


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str]:
    """Separate the YAML block from the Markdown body."""
    if not text.startswith("---"):
        return {}, text
    match = _FENCE.match(text)
    if not match:
        raise SahifaError(path, "front matter starts with '---' but has no closing '---' line")
    return load_yaml(match.group(1), path, "front matter", line_offset=1), text[match.end() :]


def parse_markdown(
    text: str,
    path: str,
    lang: str,
    *,
    trusted: bool = False,
    source_hash: str = "",
    schema: Schema = DEFAULT_SCHEMA,
) -> ArticleRecord:
    """Pure function: the text of one Markdown file -> ``ArticleRecord``. The text is cleaned
    first (``clean_text``: no lone surrogates or control characters, NFC), whoever calls."""
    meta, body = split_front_matter(clean_text(text), path)
    values, warnings = read_fields(meta, path, schema, what="front matter", require_title=True)
    if "lang" in values and values.pop("lang") != lang:
        warnings.append(f"'lang: {meta['lang']}' ignored: the folder content/{lang}/ decides the language")
    values.pop("format", None)
    seed = values.pop("seed", None)
    seed_hash = values.pop("seed_hash", None)
    body_html = markdown_to_html(body, trusted=trusted)
    paragraphs = tuple(html_to_paragraphs(body_html))
    terms = values.pop("terms", {})
    source_id = values.pop("source_id", None) or (seed_id(seed) if seed else markdown_id(path, lang))
    values.setdefault("summary", paragraphs[0] if paragraphs else "")
    return ArticleRecord(
        path=path,
        kind="markdown",
        format="markdown",
        lang=lang,
        body_html=body_html,
        paragraphs=paragraphs,
        terms=make_terms(terms),
        source_id=source_id,
        warnings=tuple(warnings),
        source_hash=source_hash,
        extra={"seed": seed, "seed_hash": seed_hash or "", "own_id": markdown_id(path, lang)} if seed else {},
        **{"published": None, **values},
    )


def markdown_id(path: str, lang: str) -> str:
    """``<lang>/<path inside content/<lang>/ without .md>`` (``path`` as the site names it):
    stable while the file stays where it is. An article imported from a seed has the seed's
    id instead, and an ``id`` field wins over both."""
    inner = PurePosixPath(path)
    prefix = PurePosixPath("content", lang)
    if inner.is_relative_to(prefix):
        inner = inner.relative_to(prefix)
    else:
        inner = PurePosixPath(inner.name)
    return f"{lang}/{inner.with_suffix('').as_posix()}"


def read_markdown(
    path: Path, root: Path, lang: str | None = None, *, trusted: bool = False, schema: Schema = DEFAULT_SCHEMA
) -> ArticleRecord:
    """Read one ``content/<lang>/NAME.md`` file."""
    rel = path.relative_to(root).as_posix() if path.is_absolute() and path.is_relative_to(root) else str(path)
    lang = lang or path.parent.name
    data = read_input(path, rel, limit=MAX_BYTES, folder=home_folder(path, root, "content"))
    text, encoding, decode_warnings = decode_source(data, rel)
    record = parse_markdown(text, rel, lang, trusted=trusted, schema=schema, source_hash=source_digest(data))
    if decode_warnings:
        from dataclasses import replace

        record = replace(record, warnings=tuple(decode_warnings) + record.warnings)
    return record
