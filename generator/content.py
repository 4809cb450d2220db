"""Read stage for authored articles: ``content/<lang>/*.md`` (YAML front matter + Markdown).

Front matter is untrusted data: YAML is read with a safe loader that refuses aliases (no
"billion laughs") and keeps timestamps as strings (our own date code parses them). Fields are
type-checked; a wrong field is a ``SahifaError`` naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from .dateparse import parse_date_expression
from .decode import decode_bytes
from .errors import SahifaError
from .markup import html_to_paragraphs, markdown_to_html
from .model import ArticleRecord
from .textnorm import clean_text, strip_bidi_controls

MAX_BYTES = 2_000_000
_FENCE = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
KNOWN_FIELDS = {"title", "date", "updated", "tags", "slug", "translation_key", "source",
                "sources", "summary", "draft", "lang", "city", "seed"}


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without implicit timestamps."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases are not allowed in front matter",
                                       event.start_mark)
        return super().compose_node(parent, index)


_RESOLVERS = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SafeLoader.yaml_implicit_resolvers = _RESOLVERS

_CBase = getattr(yaml, "CSafeLoader", None)
if _CBase is not None:
    class _FastLoader(_CBase):  # type: ignore[misc, valid-type]
        """libyaml's safe loader, same resolvers; used only when no anchor or alias can occur."""

    _FastLoader.yaml_implicit_resolvers = _RESOLVERS
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = _SafeLoader

# Anything that might be an anchor (&a) or an alias (*a) sends the text to the slow loader,
# which refuses aliases; false alarms (an asterisk in a title) only cost speed.
_MAYBE_ALIAS = re.compile(r"[&*]")


def _load_yaml(text: str):
    loader = _SafeLoader if _MAYBE_ALIAS.search(text) else _FastLoader
    return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders are safe loaders


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
    try:
        data = _load_yaml(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 2})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SahifaError(path, f"invalid YAML front matter{where}: {problem}") from exc
    except RecursionError:
        raise SahifaError(path, "invalid YAML front matter: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001
        # Explicit tags such as ``!!float x``, ``!!float ''`` or ``!!timestamp 2022-02-31``
        # fail inside PyYAML's constructors with plain Python errors (ValueError, IndexError,
        # AttributeError ...), which are not ``yaml.YAMLError``.
        raise SahifaError(path, f"invalid YAML front matter: {type(exc).__name__}: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SahifaError(path, f"front matter must be a mapping of fields, not a {type(data).__name__}")
    return data, text[match.end():]


def _text_field(meta: dict, name: str, path: str, required: bool = False) -> str | None:
    value = meta.get(name)
    if value is None:
        if required:
            raise SahifaError(path, f"front matter has no '{name}'")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SahifaError(path, f"'{name}' must be text, not {type(value).__name__}")
    text = " ".join(strip_bidi_controls(clean_text(str(value))).split())
    if required and not text.replace("\u200c", "").replace("\u200f", "").replace("\u200e", "").strip():
        raise SahifaError(path, f"'{name}' is empty")
    return text


def _tags(value: Any, path: str, warnings: list[str] | None = None) -> tuple[str, ...]:
    """Tags as a tuple of clean display forms; empty ones and control characters are dropped,
    each with a warning when ``warnings`` is given."""
    warnings = [] if warnings is None else warnings
    if value is None:
        return ()
    if isinstance(value, str):
        items = re.split(r"[,،]", value)
    elif isinstance(value, list):
        items = value
    else:
        raise SahifaError(path, f"'tags' must be a list or a comma-separated text, not {type(value).__name__}")
    out: list[str] = []
    for item in items:
        if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
            raise SahifaError(path, "'tags' must hold plain words, not nested lists or mappings")
        raw = str(item)
        tag = " ".join(strip_bidi_controls(clean_text(raw)).split())
        if not tag:
            warnings.append(f"tags: empty tag {raw[:40]!r} dropped")
            continue
        if tag != " ".join(raw.split()):
            warnings.append(f"tags: {raw[:40]!r} had control or bidi characters; they were removed ({tag[:40]!r})")
        if tag not in out:
            out.append(tag)
    return tuple(out)


def parse_front_matter_date(value: Any, path: str, warnings: list[str]) -> dt.date | None:
    """A front-matter date: ISO date or date-time, Unix seconds, or a written date.

    A date that cannot be read (wrong type, a day that does not exist, unknown words) leaves
    the article undated with a warning: the article is kept, never stamped with today's date.
    A date-time keeps the day as written in its own time zone. Integers of at least 10^8 are
    Unix time (seconds, UTC); smaller integers are not dates.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        warnings.append(f"'date' must be a date like 2022-01-11, not {type(value).__name__}; "
                        "the article is undated")
        return None
    if isinstance(value, int):
        if 10**8 <= value < 10**11:
            found = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc).date()
            warnings.append(f"'date' {value} read as Unix time: {found.isoformat()}; YYYY-MM-DD is safer")
            return found
        warnings.append(f"'date' {value} is a number, not a date; the article is undated")
        return None
    text = value.strip()
    iso = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", text)
    if iso:
        try:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            warnings.append(f"'date' {text[:40]!r} is not a day that exists; the article is undated")
            return None
    found = parse_date_expression(text[:200])
    if found is None:
        warnings.append(f"'date' {text[:40]!r} is not a date Sahifa can read (use YYYY-MM-DD); "
                        "the article is undated")
        return None
    warnings.append(f"'date' {text[:40]!r} read as {found.isoformat()}; YYYY-MM-DD is safer")
    return found


def parse_markdown(text: str, path: str, lang: str, *, trusted: bool = False,
                   source_hash: str = "") -> ArticleRecord:
    """Pure function: the text of one Markdown file -> ``ArticleRecord``."""
    meta, body = split_front_matter(text, path)
    warnings: list[str] = []
    for key in sorted(set(meta) - KNOWN_FIELDS, key=str):
        warnings.append(f"unknown front matter field {key!r} ignored")
    if "lang" in meta and str(meta["lang"]) != lang:
        warnings.append(f"'lang: {meta['lang']}' ignored: the folder content/{lang}/ decides the language")
    title = _text_field(meta, "title", path, required=True)
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        raise SahifaError(path, "'draft' must be true or false")
    date = parse_front_matter_date(meta.get("date"), path, warnings)
    updated = parse_front_matter_date(meta.get("updated"), path, warnings)
    tags = _tags(meta.get("tags"), path, warnings)
    sources_value = meta.get("sources", meta.get("source"))
    if isinstance(sources_value, list):
        sources = tuple(t for t in (" ".join(strip_bidi_controls(clean_text(str(s))).split())
                                    for s in sources_value if isinstance(s, (str, int))) if t)
    else:
        one = _text_field(meta, "sources" if "sources" in meta else "source", path)
        sources = (one,) if one else ()
    body_html = markdown_to_html(body, trusted=trusted)
    paragraphs = tuple(html_to_paragraphs(body_html))
    summary = _text_field(meta, "summary", path) or (paragraphs[0] if paragraphs else "")
    slug = _text_field(meta, "slug", path)
    key = _text_field(meta, "translation_key", path)
    return ArticleRecord(
        path=path, kind="markdown", format="markdown", lang=lang, title=title or "",
        date=date, summary=summary, body_html=body_html, paragraphs=paragraphs,
        tags=tags, sources=sources, city=_text_field(meta, "city", path),
        slug=slug, translation_key=key, draft=draft, updated=updated,
        warnings=tuple(warnings), source_hash=source_hash,
        extra={"seed": _text_field(meta, "seed", path)} if meta.get("seed") else {},
    )


def read_markdown(path: Path, root: Path, lang: str | None = None, *,
                  trusted: bool = False) -> ArticleRecord:
    """Read one ``content/<lang>/NAME.md`` file."""
    rel = path.relative_to(root).as_posix() if path.is_absolute() and path.is_relative_to(root) else str(path)
    lang = lang or path.parent.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SahifaError(rel, f"file is larger than {MAX_BYTES // 1_000_000} MB")
        data = path.read_bytes()
    except OSError as exc:
        raise SahifaError(rel, f"cannot read the file ({exc.strerror or exc})") from exc
    text, encoding, decode_warnings = decode_source(data, rel)
    record = parse_markdown(text, rel, lang, trusted=trusted,
                            source_hash=hashlib.sha256(data).hexdigest())
    if decode_warnings:
        from dataclasses import replace
        record = replace(record, warnings=tuple(decode_warnings) + record.warnings)
    return record
