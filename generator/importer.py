"""``python build.py import SEED...``: a seed becomes an editable Markdown article.

The article is written to ``content/<lang>/<seed file stem>.md`` with the reader's results in
its front matter and a ``seed:`` field naming the seed it came from. From then on the build
uses the article and skips that seed (see ``claimed_seeds``), so an editor's corrections win
and the seed stays as the untouched original.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from .config import SiteConfig
from .diagnostics import Diagnostic
from .errors import SahifaError
from .fields import seed_id
from .model import ArticleRecord
from .write import atomic_write

# What starts Markdown syntax (Python-Markdown with "extra") at the beginning of a line:
# headings, block quotes, list items (``-``, ``+``, ``*``, ``1.``), rules, definition lists
# (``:``), fenced code (``~~~``); the other syntax characters are escaped wherever they are.
_LINE_START = re.compile(r"^([#>+\-]|\d+\.|:|~)")
_DIGITS_DOT = re.compile(r"^(\d+)\.")


def escape_markdown(paragraph: str) -> str:
    """Plain text to Markdown that renders as exactly the same text (``inspect`` shows the
    text; the imported article must show it too): HTML and entities are written as
    entities, inline syntax characters are backslash-escaped (only characters that
    Python-Markdown unescapes, so no backslash is ever printed), and what would start a
    block at the beginning of the line is neutralised. Runs of ASCII white space become one
    space (as on the page); other spaces (no-break, thin) are kept."""
    text = " ".join(re.split(r"[ \t\n\r\f\v]+", paragraph.strip(" \t\n\r\f\v")))
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([*_`\[\]{}|])", r"\\\1", text)
    start = _LINE_START.match(text)
    if start:
        lead = start.group(1)
        if lead == ":":
            text = "&#58;" + text[1:]
        elif lead == "~":
            text = "&#126;" + text[1:]
        elif lead[0].isdigit():
            text = _DIGITS_DOT.sub(r"\1\\.", text, count=1)
        else:
            text = "\\" + text
    return text


def record_to_markdown(record: ArticleRecord) -> str:
    meta: dict = {"title": record.title}
    if record.published is not None:
        meta["date"] = (
            record.published.isoformat(timespec="minutes") if record.timed else record.date.isoformat()
        )
    for key in ("slug", "translation_key", "city"):
        value = getattr(record, key)
        if value:
            meta[key] = value
    for taxonomy, values in record.terms:
        meta[taxonomy] = list(values)
    if record.summary:
        meta["summary"] = record.summary
    meta["seed"] = record.path
    meta["seed_hash"] = record.source_hash
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(escape_markdown(p) for p in record.paragraphs)
    return f"---\n{front}---\n{body}\n"


def claimed_seeds(records: list[ArticleRecord]) -> tuple[set[str], list[ArticleRecord]]:
    """Seed paths that an imported (and maybe edited) Markdown article replaces, and the
    records with unproven claims undone.

    An article claims a seed only with the seed's content hash (``seed_hash``, written by
    ``import``): a ``seed:`` field typed by hand, or left over after the seed was replaced by
    another text, does not unpublish a seed. Such an article keeps its own id (not the
    seed's) and says why in a warning.
    """
    from dataclasses import replace

    hashes = {r.path: r.source_hash for r in records if r.kind == "seed"}
    claimed: set[str] = set()
    out: list[ArticleRecord] = []
    for record in records:
        seed = record.extra.get("seed") if record.kind == "markdown" else None
        if seed:
            proof = record.extra.get("seed_hash")
            if seed in hashes and proof and proof == hashes[seed]:
                claimed.add(seed)
            else:
                if seed not in hashes:
                    why = "there is no such seed; remove the field"
                else:
                    why = (
                        "it has no seed_hash (articles imported before seed_hash existed)"
                        if not proof
                        else "the seed's text changed since it was imported"
                    )
                    why += (
                        f"; if this article replaces that seed, set 'seed_hash: {hashes[seed]}' in "
                        "its front matter, else remove the field"
                    )
                own = record.extra.get("own_id") or record.source_id
                extra = {k: v for k, v in record.extra.items() if k not in ("seed", "seed_hash", "own_id")}
                source_id = own if record.source_id == seed_id(seed) else record.source_id
                record = replace(
                    record,
                    source_id=source_id,
                    extra=extra,
                    warnings=record.warnings
                    + (f"field 'seed' names {seed}, but {why}. Until then the seed is published as well",),
                )
                if record.fingerprint:  # the page keys trust it: it must say what the record now holds
                    from .pagekeys import fingerprint_of

                    record = replace(record, fingerprint=fingerprint_of(record).hex())
        out.append(record)
    return claimed, out


def import_seeds(paths: list[Path], config: SiteConfig, *, force: bool = False) -> int:
    from .paths import inside, safe_name
    from .sources import read_source, SourceFile
    from .readers import ReadOptions

    options = ReadOptions.from_config(config)
    status = 0
    for path in paths:
        try:
            record = read_source(SourceFile(os.path.abspath(path), "seed", None), options)[0]
        except SahifaError as exc:
            print(Diagnostic.parse(str(exc), "error").render())
            status = 1
            continue
        # The folder comes from data (the seed's language, maybe from its sidecar): it must be
        # a language of the site, a plain name, and the file must land inside content/.
        if record.lang not in config.language_codes or not safe_name(record.lang):
            message = (
                f"field 'lang' {record.lang!r} is not a language of this site "
                f"({', '.join(config.language_codes)}); not imported"
            )
            print(Diagnostic(record.path, message, level="error", field="lang").render())
            status = 1
            continue
        if not safe_name(path.stem):
            print(
                Diagnostic(
                    record.path, "the file name cannot name an article; not imported", level="error"
                ).render()
            )
            status = 1
            continue
        target = config.content_dir / record.lang / f"{path.stem}.md"
        # A plain language name can still be a link in content/ that leads elsewhere.
        if not inside(target.parent, config.content_dir):
            print(
                Diagnostic(
                    str(target), "would be written outside content/; not imported", level="error"
                ).render()
            )
            status = 1
            continue
        if target.is_symlink() or (target.exists() and not force):
            shown = target.relative_to(config.root).as_posix()
            print(Diagnostic(shown, "exists; use --force to overwrite it", level="error").render())
            status = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, record_to_markdown(record).encode("utf-8"))
        for warning in record.warnings:
            print(Diagnostic.parse(f"{record.path}: {warning}", "warning").render())
        print(f"{_safe(record.path)} -> {_safe(target.relative_to(config.root).as_posix())}")
    return status


def _safe(text: str) -> str:
    from .report import terminal_safe

    return terminal_safe(text)
