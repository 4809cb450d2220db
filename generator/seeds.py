"""Seed importer: raw scraped news text (``seeds/*.txt``) -> ``ArticleRecord``.

Input: the text of one seed (already decoded) and an optional sidecar mapping. Output: one
record with title, date, lead, paragraphs, sources, city, language, tags and warnings.

Formats recognised (``format`` field):
- ``wire``: title line, the title repeated, a dateline opening the first paragraph, body,
  wire marker ``(تستمر)`` and site boilerplate (the project's own seeds);
- ``pagetext``: the text of a web page with its chrome (skip links, header clock, donation
  banners, captions) around title, date line and body;
- ``print``: a print view (``- Global Voices - https://… -``, ``Categories: …``);
- ``extractor``: title, ``***``, body (text kept by a crawler's extractor);
- ``html``: an HTML page (own rules on lxml; trafilatura as a rescue when installed).

Raw text is text: the body is never interpreted as HTML or Markdown; ``body_html`` is built
from escaped paragraphs. A sidecar ``NAME.yml`` beside ``NAME.txt`` may set title, date,
tags, slug, translation_key, lang, format, sources, draft.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from . import boilerplate, htmltext, pagelayout, pagereader
from .dateline import clock_labels, date_line, parse_dateline
from .dateparse import DateMatch, find_date
from .decode import decode_bytes
from .errors import SahifaError
from .langdetect import detect_language, site_language
from .fields import DEFAULT_SCHEMA, MAX_YAML_BYTES, Schema, day_start, load_yaml, read_fields, seed_id
from .model import ArticleRecord, make_terms
from .paths import home_folder, read_input
from .languages import direction
from .readers import source_digest
from .textnorm import INVISIBLE_AND_BIDI, clean_text, match_key, same_text, strip_bidi_controls

MAX_BYTES = 20_000_000
_TITLE_CREDIT = re.compile(r"\s*\((?P<credit>[A-Za-z][\w.\-]{1,30}|[^\W\d][^()]{0,20})\)\s*$")
_TITLE_SITE_SUFFIX = re.compile(r"\s+[|｜]\s+[^|｜]{2,40}$")
_PRINT_HEADER = re.compile(r"^-\s+(?P<site>.{2,80}?)\s+-\s+https?://\S+\s+-$")
_EXTRACTOR_RULE = re.compile(r"^\s*(?:\*\s*){3,}$")
_TITLE_WINDOW = 8
_TAG_TEXT_LIMIT = 60_000


def read_seed(path: Path, root: Path, schema: Schema = DEFAULT_SCHEMA) -> ArticleRecord:
    """Read ``path`` (a seed under ``root``) and its optional sidecar ``NAME.yml``."""
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    data = read_input(path, rel, limit=MAX_BYTES, folder=home_folder(path, root, "seeds"))
    text, encoding, warnings = decode_bytes(data, rel)
    sidecar, side_bytes = _read_sidecar(path, rel)
    record = parse_seed(text, rel, sidecar, schema=schema)
    digest = source_digest(data, side_bytes)
    extra = dict(record.extra, encoding=encoding)
    return _replace(record, warnings=tuple(warnings) + record.warnings, source_hash=digest, extra=extra)


def _read_sidecar(path: Path, rel: str) -> tuple[dict | None, bytes | None]:
    """The sidecar's fields and its bytes (part of the seed's hash); None, None without one."""
    side = path.with_suffix(".yml")
    if not side.exists() and not side.is_symlink():
        return None, None
    what = f"sidecar {side.name}"
    # The same policy as for inputs: a regular file, not a link out of the seed's folder,
    # within the YAML size cap.
    raw = read_input(side, rel, limit=MAX_YAML_BYTES, what=what, folder=path.parent)
    text = decode_bytes(raw, f"{rel} ({what})").text
    return load_yaml(text, rel, what) or None, raw


def _replace(record: ArticleRecord, **changes) -> ArticleRecord:
    from dataclasses import replace

    return replace(record, **changes)


def clean_line(line: str) -> str:
    """A line for display: no bidi controls or invisible format characters, single spaces."""
    return " ".join(INVISIBLE_AND_BIDI.sub("", line).split())


def parse_seed(
    text: str, path_str: str, sidecar: dict | None = None, *, schema: Schema = DEFAULT_SCHEMA
) -> ArticleRecord:
    """Parse the decoded text of a seed into a record (pure; see the module docstring)."""
    if not isinstance(text, str):
        raise SahifaError(path_str, "seed text must be a string")
    text = clean_text(text)
    warnings: list[str] = []
    fmt, title, lines, page_date, sources = _split_format(text, path_str, warnings)
    kept, dropped = boilerplate.remove_boilerplate(lines)
    if not kept and not title:
        reason = "no text: the file is empty or holds only white space or invisible characters"
        raise SahifaError(path_str, reason if not dropped else "no article text, only boilerplate")
    if title is None:
        page = pagereader.read_page(kept) if fmt == "pagetext" else None
        found = (page.title, page.lines, page.dates) if page else None
        title, kept, date_lines = found or _find_title(kept, warnings)
        if title is not None and found is None and fmt == "pagetext" and _is_chrome(title, kept):
            kept = [title, *kept]  # a clock, a counter or a menu is no headline: say so
            title = None
        if fmt == "pagetext" and len(lines) > 1 and lines[0] == lines[1]:
            fmt = "wire"
    else:
        date_lines = []
        kept = [line for line in kept if not same_text(line, title)]
    kept, captions = boilerplate.drop_repeated_captions(kept)
    dateline, kept, lead_index = _take_dateline(kept, warnings)
    kept = _drop_extractor_repeat(kept, title)
    date_match = dateline.date if dateline else None
    if date_match is None and kept:
        date_match = next((found for found in map(_lead_date, kept[:2]) if found), None)
    if date_match is None or date_match.date is None:
        # A dateline without its year ("الدوحة في 07 يناير"): the page's date line says it.
        picked = _pick_date_line(date_lines, warnings)
        if picked is not None and (picked.date is not None or date_match is None):
            date_match = picked
    if date_match is None and page_date is not None:
        date_match = page_date
    if date_match is None and title:
        in_title = find_date(title)
        date_match = in_title if in_title and in_title.date else None
    if title is None:
        title = _title_from_lead(kept)
        warnings.append("no recognisable headline: the title was made from the lead")
    if not title:
        raise SahifaError(path_str, "no title and no text to make one from")
    title, credit = _clean_title(title)
    if credit:
        sources.append(credit)
    if dateline:
        sources.extend(dateline.sources)
    date = date_match.date if date_match else None
    if date_match is not None:
        warnings.extend(date_match.warnings)
    if not kept:
        warnings.append("headline only: the file has no body text")
    if date is None and not (isinstance(sidecar, dict) and sidecar.get("date")):
        warnings.append("undated: no complete date found (the article is sorted as undated)")
    body_for_lang = "\n".join([title] + kept)
    lang = site_language(detect_language(body_for_lang), schema.languages)
    published = day_start(date, schema.tzinfo, "date", warnings) if date is not None else None
    record = ArticleRecord(
        path=path_str,
        kind="seed",
        format=fmt,
        lang=lang,
        title=title,
        published=published,
        summary=kept[lead_index] if len(kept) > lead_index else "",
        body_html=paragraphs_to_html(kept),
        paragraphs=tuple(kept),
        terms=make_terms({"sources": _dedupe(sources)}),
        city=dateline.city if dateline else None,
        warnings=tuple(warnings),
        source_id=seed_id(path_str),
        extra={
            "dir": direction(lang),
            "dropped": len(dropped) + len(captions),
            "dateline": dateline.text if dateline else None,
        },
    )
    record = record.with_terms("tags", _auto_tags(record))
    if sidecar:
        record = apply_sidecar(record, sidecar, schema)
    return record


def _auto_tags(record: ArticleRecord) -> tuple[str, ...]:
    from .tagger import extract_tags

    paragraphs, total = [], 0
    for p in record.paragraphs:
        paragraphs.append(p[: _TAG_TEXT_LIMIT - total])
        total += len(paragraphs[-1])
        if total >= _TAG_TEXT_LIMIT:
            break
    return extract_tags(paragraphs, record.title, record.lang)


def paragraphs_to_html(paragraphs) -> str:
    """Escaped paragraphs: seed text is never interpreted as markup."""
    return "".join(f'<p dir="auto">{html.escape(p)}</p>' for p in paragraphs)


def _dedupe(items):
    seen, out = set(), []
    for item in items:
        key = match_key(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _split_format(text: str, path: str, warnings: list[str]):
    """(format, title or None, lines, page date match or None, sources)."""
    head = text[:2000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</p>" in text[:20000].lower()):
        page = htmltext.extract(text)
        if page is not None:
            lines = [clean_line(p) for p in page.paragraphs]
            title = clean_line(page.title) if page.title else None
            date = find_date(page.date) if page.date else None
            return "html", title or None, [x for x in lines if x], date, []
        warnings.append("looks like HTML but could not be parsed; read as text")
    raw_lines = [clean_line(line) for line in text.split("\n")]
    lines = [line for line in raw_lines if line]
    sources: list[str] = []
    fmt = "pagetext"
    for line in lines[:3]:
        m = _PRINT_HEADER.match(line)
        if m:
            fmt = "print"
            sources.append(m.group("site"))
        elif _EXTRACTOR_RULE.match(line):
            fmt = "extractor"
    if fmt == "pagetext" and len(lines) > 1 and same_text(lines[0], lines[1]):
        fmt = "wire"
    return fmt, None, lines, None, sources


def _find_title(lines: list[str], warnings: list[str]):
    """(title or None, remaining lines, [(index, date match, is_clock, after_title)])."""
    date_lines: list[tuple[DateMatch, bool, bool]] = []
    remaining = list(lines)
    title = None
    if (
        len(remaining) > 1
        and len(remaining[0]) <= 1000
        and same_text(remaining[0], remaining[1])
        and not pagelayout.SENTENCE_BREAK.search(remaining[0].rstrip(" .!?؟。！？…"))
    ):
        title = remaining[0]  # the wire layout: the headline printed twice, whatever its length
        while remaining and same_text(remaining[0], title):
            del remaining[0]
    i = 0
    while i < min(len(remaining), _TITLE_WINDOW):
        line = remaining[i]
        found = date_line(line, labels=clock_labels())
        if found:
            date_lines.append((found[0], found[1], title is not None))
            del remaining[i]
            continue
        if parse_dateline(line) is not None:
            break  # the body starts with its dateline: no headline above it
        if title is None and pagelayout.headline_like(line):
            title = line
            del remaining[i]
            while i < len(remaining) and same_text(remaining[i], title):
                del remaining[i]
            continue
        if len(line) > pagelayout.LONG_LINE or title is not None:
            break
        i += 1
    return title, remaining, date_lines


def _pick_date_line(date_lines, warnings: list[str]) -> DateMatch | None:
    after = [m for m, clock, after_title in date_lines if after_title]
    before = [m for m, clock, after_title in date_lines if not after_title and not clock]
    for m, clock, after_title in date_lines:
        if clock and not after_title and m.date:
            warnings.append(f"page header clock ({m.date.isoformat()}) is not the article's date; ignored")
    for group in (after, before):
        if group:
            return group[0]
    return None


def _is_chrome(line: str, lines: list[str]) -> bool:
    return pagelayout.chrome_flags([line, *lines[:10]])[0] and not pagelayout.is_prose(line)


def _lead_date(lead: str) -> DateMatch | None:
    """A complete date among the first words of the lead, as a dateline without the shapes
    ``parse_dateline`` cuts off (``أبها 22 ربيع الأول 1445 هـ الموافق 07 أكتوبر 2023 م واس
    بدأت ...``, ``نابلس 12-3-2022 وفا- ...``): the date counts, the lead stays whole."""
    found = find_date(lead[:160])
    if found is None or found.date is None:
        return None
    before = re.sub(r"\([^()]*\)", " ", lead[: found.span[0]])  # "لاہور (اے پی پی) 14 فروری"
    return found if len(before.split()) <= 3 else None


def _take_dateline(lines: list[str], warnings: list[str]):
    """Find the dateline in the first paragraphs; the lead loses it."""
    for i, line in enumerate(lines[:3]):
        found = parse_dateline(line)
        if found is None:
            # Past a real paragraph, a date is in the body, not a dateline.
            if len(line) > pagelayout.LONG_LINE:
                break
            continue
        out = list(lines)
        if found.rest:
            out[i] = found.rest
        else:
            del out[i]
        return found, out, i
    return None, lines, 0


def _drop_extractor_repeat(lines: list[str], title: str | None) -> list[str]:
    """Drop a trailing copy of "title + lead" that some extractors append."""
    if not title or len(lines) < 2:
        return lines
    lead_key = match_key(lines[0][:200])[:60]
    title_key = match_key(title)
    return [lines[0]] + [
        p
        for p in lines[1:]
        if not (
            match_key(p[: len(title) + 80]).startswith(title_key)
            and lead_key
            and lead_key in match_key(p[: len(title) + 120])
        )
    ]


def _title_from_lead(lines: list[str]) -> str | None:
    for line in lines:
        first = re.split(r"(?<=[.!?؟。！？])\s*", line, maxsplit=1)[0].strip()
        if not re.search(r"[^\W\d_]", first):
            continue
        if len(first) > 90:
            cut = first[:90].rsplit(" ", 1)[0]
            first = (cut if len(cut) > 30 else first[:90]).rstrip(" ،,:;") + "…"
        return first
    return None


def _clean_title(title: str) -> tuple[str, str | None]:
    title = clean_line(strip_bidi_controls(title))
    credit = None
    m = _TITLE_CREDIT.search(title)
    if m and len(title) - len(m.group(0)) >= 10 and len(m.group("credit").split()) <= 2:
        credit = m.group("credit")
        title = title[: m.start()].rstrip()
    title = _TITLE_SITE_SUFFIX.sub("", title)
    return title, credit


def apply_sidecar(record: ArticleRecord, sidecar: dict, schema: Schema = DEFAULT_SCHEMA) -> ArticleRecord:
    """Fields from a sidecar mapping override what was read from the text (the same field
    schema and rules as front matter: ``fields.read_fields``)."""
    name = Path(record.path).with_suffix(".yml").name
    values, warnings = read_fields(sidecar, record.path, schema, what=f"sidecar {name}")
    values.pop("seed", None)
    terms = values.pop("terms", None)
    if terms:
        merged = dict(record.terms)
        merged.update(terms)
        values["terms"] = make_terms(merged)
    if "lang" in values:
        values["extra"] = dict(record.extra, dir=direction(values["lang"]))
    if "published" in values and record.published is not None and values["published"] is None:
        warnings.append("the sidecar's date could not be read; the date found in the text is kept")
        values.pop("published")
        values.pop("timed", None)
    return _replace(record, warnings=record.warnings + tuple(warnings), **values)
