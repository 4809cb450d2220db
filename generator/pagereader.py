"""The headline, the story's lines and the dates of a copied web page, read by its shape.

Input: the lines of a page copy (after the boilerplate catalogue). Output: a ``PageReading``
or None when the page has no chrome above its story (the plain reader in ``seeds`` applies).

- The story is the densest run of prose (``pagelayout.layout``).
- The headline is a line above it that the lead supports (shared key words, less the
  masthead's) about as well as the best-supported line, below the page's last menu, never
  chrome, a clock or a counter; of consecutive supported lines, the first that does not read
  as a sentence or run longer than headlines do, unless it is much shorter than the next (a
  kicker above its headline). Without support, the best line close to the story.
- Kept: the lines between the headline and the story that are a dateline or a standfirst,
  the story less captions and credits (``pagelayout.story_indices``), and the lines after it
  while they still end sentences.
- Dates, in order of trust: date lines after the headline (publication before update, and a
  timestamp glued to the repeated headline), a date after a publication label anywhere
  ("تاريخ النشر :"), an age under the headline ("منذ 2 يوم") counted back from the page's
  own "now" stamp, date lines between the menu and the headline (nearest first), a date at
  the end of the page, and last the dates above the menu that are not a clock (the page's
  "now" itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import pagelayout
from .dateline import clock_labels, date_line, is_update, parse_dateline, publish_labels
from .dateparse import DateMatch, find_date
from .textnorm import same_text

HEADLINE_WORDS = 16
"""Headlines rarely run longer; a longer line under one is its standfirst."""
KICKER_RATIO = 0.75
"""A line this much shorter than the one under it is a kicker (روتیتر) above the headline."""


@dataclass(frozen=True)
class PageReading:
    title: str
    lines: list[str]
    """The story's lines: standfirst and dateline, paragraphs, a closing sentence."""
    dates: list[tuple[DateMatch, bool, bool]]
    """Date lines as ``(match, is_clock, trusted)``, most trusted first (``seeds._pick_date_line``)."""


def read_page(lines: list[str]) -> PageReading | None:
    lay = pagelayout.layout(lines)
    start = lay.start
    if start < len(lines) and start + 1 < lay.end and pagelayout.headline_like(lines[start]):
        if not pagelayout.ends_a_sentence(lines[start]) or lines[start].rstrip().endswith(("?", "؟")):
            start += 1  # a long headline (with commas, or a question) reads as prose: it opens the run
    if not lay.found or start == 0:
        return None
    below = pagelayout.after_last_menu(lines, lay.chrome, start)
    dated = [date_line(line, labels=clock_labels()) for line in lines[:start]] + [None] * (len(lines) - start)
    title_at = _headline_at(lines, lay, start, below, dated)
    if title_at is None:
        return None
    title = lines[title_at]
    between = [
        line
        for i, line in enumerate(lines[title_at + 1 : start], title_at + 1)
        if not same_text(line, title)
        and not line.startswith(title)
        and not pagelayout.is_caption(line)
        and not dated[i]
        and (parse_dateline(line) is not None or pagelayout.is_prose(line) or len(line.split()) >= 8)
    ]
    tail = []
    for i in range(lay.end, len(lines)):
        if lay.chrome[i] or date_line(lines[i]) or not pagelayout.ends_a_sentence(lines[i]):
            break
        tail.append(lines[i])
    # Date lines and other chrome inside the story's run (a date line under the lead, a news
    # code) are the page's, not the story's; such a date counts as one after the headline.
    for i in range(start, lay.end):
        if lay.chrome[i]:
            dated[i] = date_line(lines[i], labels=clock_labels())
    kept = [i for i in pagelayout.story_indices(lines, lay, start) if not lay.chrome[i]]
    dates = _dates(lines, dated, title_at, below, lay.end + len(tail))
    return PageReading(title, between + [lines[i] for i in kept] + tail, dates)


def _headline_at(lines, lay, start: int, below: int, dated) -> int | None:
    lead = " ".join([line for line in lines[start : lay.end] if pagelayout.is_prose(line)][:3])[:1500]
    candidates = []  # (index, evidence, repeated, score)
    site = pagelayout.site_words(lines, lay.chrome)
    for i in range(start):
        line = lines[i]
        if lay.chrome[i] or dated[i] or not pagelayout.headline_like(line) or len(line.split()) < 3:
            continue
        evidence = pagelayout.headline_evidence(line, lead, site)
        # A repeat away from it (a page printing its headline twice) supports a line; a line
        # repeated right after itself is an image's alt text and caption.
        repeated = any(abs(j - i) > 1 and same_text(lines[j], line) for j in range(start))
        distance = start - i
        score = 3 * evidence + (1.5 if repeated else 0) + max(0.0, 1.0 - 0.15 * (distance - 1))
        candidates.append((i, evidence, repeated, score))
    strongest = max((c[1] for c in candidates), default=0.0)
    supported = [c for c in candidates if c[2] or (c[1] >= 0.15 and c[1] >= 0.5 * strongest)]
    # Lines below the page's last menu first: the site's name and slogan above it are not the
    # story's headline, even when the lead names them.
    supported = [c for c in supported if c[0] >= below] + [c for c in supported if c[0] < below]
    if supported:
        group = [supported[0]]
        for c in supported[1:]:
            if c[0] == group[-1][0] + 1:
                group.append(c)
        fitting = [c for c in group if not pagelayout.ends_a_sentence(lines[c[0]])] or group
        fitting = [c for c in fitting if not pagelayout.is_prose(lines[c[0]])] or fitting
        fitting = [c for c in fitting if len(lines[c[0]].split()) <= HEADLINE_WORDS] or fitting
        # The first, unless it is much shorter than the next: a kicker above its headline.
        words = [len(lines[c[0]].split()) for c in fitting]
        first = 0
        while first + 1 < len(fitting) and words[first] < KICKER_RATIO * words[first + 1]:
            first += 1
        return fitting[first][0]
    near = [c for c in candidates if start - c[0] <= 3]
    return max(near, key=lambda c: c[3])[0] if near else None


def _dates(lines, dated, title_at: int, below: int, footer: int) -> list[tuple[DateMatch, bool, bool]]:
    title = lines[title_at]
    after, between_menu, above = [], [], []
    for i, found in enumerate(dated):
        if i != title_at and lines[i].startswith(title) and len(lines[i]) > len(title):
            glued = find_date(lines[i][len(title) :])  # the headline again, a timestamp glued on
            if glued is not None and glued.date is not None:
                after.append((glued, False, True, False))
        elif found and i > title_at:
            after.append((found[0], found[1], True, is_update(lines[i])))
        elif found and i >= below:
            between_menu.append((found[0], False, True))
        elif found:
            above.append((found[0], found[1], False))
    after = [d[:3] for d in after if not d[3]] + [d[:3] for d in after if d[3]]
    labelled = [(m, False, True) for m in (_labelled_date(line) for line in lines) if m is not None]
    now = next((d[0].date for d in above if d[0].date), None)
    relative = [(m, False, True) for m in (_relative_date(line, now) for line in lines[title_at:footer]) if m]
    at_end = []
    for line in lines[footer:]:
        found = date_line(line, labels=clock_labels())
        if found and found[0].date:
            at_end.append((found[0], False, True))
    return after + labelled + relative[:1] + between_menu[::-1] + at_end + above


def _labelled_date(line: str) -> DateMatch | None:
    """A date that follows a publication label anywhere in a line ("صدر هذا المقال بالنسخة
    الورقية - تاريخ النشر : 2023/01/17")."""
    if len(line) > 200:
        return None
    for label in publish_labels():
        at = line.find(label)
        if at >= 0:
            found = find_date(line[at + len(label) :][:60])
            if found is not None and found.date is not None and found.span[0] <= 4:
                return found
    return None


_AGO = re.compile(
    r"^(?:منذ|قبل|il y a)\s+(?P<n>\d{1,2})\s+(?P<unit>\S+)$|^(?P<n2>\d{1,2})\s+(?P<unit2>\S+)\s+(?:ago|پیش|قبل|پہلے|مخکې)$",
    re.IGNORECASE,
)
_DAY_UNITS = ("يوم", "أيام", "ايام", "days", "day", "jours", "jour", "روز", "دن", "ورځې", "ورځ")
_SAME_DAY_UNITS = (
    "ساعة",
    "ساعات",
    "دقيقة",
    "دقائق",
    "hours",
    "hour",
    "minutes",
    "heures",
    "heure",
    "ساعت",
    "دقیقه",
    "گھنٹے",
    "منٹ",
)


def _relative_date(line: str, now) -> DateMatch | None:
    """ "منذ 2 يوم" under a headline, counted back from the page's own "now" stamp (the
    page's clock and today's date say when the copy was made)."""
    import datetime as dt

    if now is None or len(line) > 40:
        return None
    m = _AGO.match(line.strip())
    if not m:
        return None
    n, unit = int(m.group("n") or m.group("n2")), (m.group("unit") or m.group("unit2")).casefold()
    if unit in _DAY_UNITS:
        day = now - dt.timedelta(days=n)
    elif unit in _SAME_DAY_UNITS:
        day = now
    else:
        return None
    return DateMatch(day, (0, len(line)), "gregorian", ())
