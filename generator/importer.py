"""``python build.py import SEED...``: a seed becomes an editable Markdown article.

The article is written to ``content/<lang>/<seed file stem>.md`` with the reader's results in
its front matter and a ``seed:`` field naming the seed it came from. From then on the build
uses the article and skips that seed (see ``claimed_seeds``), so an editor's corrections win
and the seed stays as the untouched original.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .config import SiteConfig
from .errors import SahifaError
from .model import ArticleRecord

# Characters that would start Markdown syntax at the beginning of a line.
_LINE_START = re.compile(r"^(\s*)([#>+*=-]|\d+[.)]|`{3,}|~{3,})")


def escape_markdown(paragraph: str) -> str:
    """Plain text to Markdown that renders as the same plain text (no HTML, no syntax)."""
    text = paragraph.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([*_`\[\]])", r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def record_to_markdown(record: ArticleRecord) -> str:
    meta: dict = {"title": record.title}
    if record.published is not None:
        meta["date"] = (record.published.isoformat(timespec="minutes") if record.timed
                        else record.date.isoformat())
    for key in ("slug", "translation_key", "city"):
        value = getattr(record, key)
        if value:
            meta[key] = value
    for taxonomy, values in record.terms:
        meta[taxonomy] = list(values)
    if record.summary:
        meta["summary"] = record.summary
    meta["seed"] = record.path
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    body = "\n\n".join(escape_markdown(p) for p in record.paragraphs)
    return f"---\n{front}---\n{body}\n"


def claimed_seeds(records: list[ArticleRecord]) -> set[str]:
    """Seed paths that an imported (and maybe edited) Markdown article replaces."""
    return {r.extra["seed"] for r in records if r.kind == "markdown" and r.extra.get("seed")}


def import_seeds(paths: list[Path], config: SiteConfig, *, force: bool = False) -> int:
    from .fields import Schema
    from .seeds import read_seed

    schema = Schema.from_config(config)
    status = 0
    for path in paths:
        try:
            record = read_seed(path.resolve(), config.root, schema)
        except SahifaError as exc:
            print(f"error: {exc}")
            status = 1
            continue
        target = config.content_dir / record.lang / f"{path.stem}.md"
        if target.exists() and not force:
            print(f"error: {target.relative_to(config.root)} exists; use --force to overwrite it")
            status = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(record_to_markdown(record), encoding="utf-8")
        for warning in record.warnings:
            print(f"warning: {record.path}: {warning}")
        print(f"{record.path} -> {target.relative_to(config.root)}")
    return status
