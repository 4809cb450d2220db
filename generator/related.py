"""Links between articles of one language: related stories and previous/next article.

Related stories: the articles sharing most tags with this one, then the most recent, at most
``RELATED``. Candidates come from a tag -> articles index (each tag's list is newest first); for
a tag with many articles only the ``WINDOW`` articles nearest in time on each side are looked at,
so the work per article is bounded (tags x window) and a 10,000-article site stays linear.
For tags up to ``2 * WINDOW`` articles (almost all of them) the result is exact.

Previous/next: neighbours in the language's newest-first order ("previous" is older).

A build keeps every article's related stories for the next one (``remembered``, with a memo
in the build cache): an article's list is looked at again only when the article is new,
re-tagged or moved in time, or its window in one of its tags reaches a part of the tag that
changed (a correction looks at none; with 100,000 stories, counting candidates for every
story took seconds).
"""

from __future__ import annotations

import os
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from .assemble import _newest_first
from .model import Article, Site, Term

RELATED = 5
WINDOW = 25


@dataclass(frozen=True)
class StoryIndex:
    """Positions computed once per build (plain dicts and tuples, read only afterwards).

    Articles are named by their position in their language's newest-first order, so
    candidate counting works on small integers and "more recent" is simply "smaller".
    A tag's positions are made when first asked for (``members``): a build that has every
    story's related stories from the last one (``remembered``) asks for a few tags, not for
    the 400,000 places of 100,000 stories in their tags.
    """

    order: Mapping[str, tuple[Article, ...]]
    """Per language, newest first (the ``Site`` order)."""
    position: Mapping[str, int]
    """Article path -> its index in its language's order."""
    tags: Mapping[tuple[str, str], Term]
    """(lang, tag key) -> the tag."""
    known: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Article path -> the paths of its related stories, made before they are asked for
    (``remembered``)."""
    memo_changed: bool = False
    """The memo given to ``remembered`` was brought up to date: the caller saves it."""
    relinked: frozenset[str] | None = None
    """The articles whose related stories differ from the ones the memo held (None: the memo
    held none to compare with)."""
    generation: tuple[str | None, str | None] = (None, None)
    """The memo's generation before and after ``remembered`` (a new one whenever it changes):
    ``relinked`` is relative to the build that left the first."""
    made: dict = field(default_factory=dict, compare=False, repr=False)
    """``members``' answers so far (shared by the copies ``replace`` makes: one site)."""

    def members(self, lang: str, key: str) -> tuple[int, ...]:
        """The positions of the articles carrying tag ``key`` in ``lang``, ascending (newest
        first)."""
        found = self.made.get((lang, key))
        if found is None:
            tag = self.tags.get((lang, key))
            position = self.position
            found = (
                ()
                if tag is None
                else tuple(sorted(position[a.path] for a in tag.articles if a.path in position))
            )
            self.made[(lang, key)] = found
        return found


def build_index(site: Site) -> StoryIndex:
    """Positions and tags of ``site``'s stories (``remembered`` adds every story's related
    stories, from an earlier build's memo)."""
    position: dict[str, int] = {}
    for articles in site.articles.values():
        for i, article in enumerate(articles):
            position[article.path] = i
    tags = {(lang, tag.key): tag for lang, found in site.tags.items() for tag in found}
    return StoryIndex(order=site.articles, position=position, tags=tags)


def remembered(site: Site, index: StoryIndex, memo: dict) -> StoryIndex:
    """``index`` (``site``'s) with every article's related stories, taken from ``memo`` where
    they cannot have changed (``_remembered``). ``memo``: what an earlier build left in it (a
    plain dict the caller keeps between builds, empty the first time), brought up to date;
    ``memo_changed`` says whether to save it."""
    before = memo.get("generation")
    compared = "related" in memo
    old_lists = memo.get("related", {})
    known, changed, redone = _remembered(site, index, memo)
    relinked = None
    if compared:  # the others kept their lists
        relinked = frozenset(p for p in redone if old_lists.get(p) != known[p])
    if changed:
        memo["generation"] = os.urandom(8).hex()
    return replace(
        index,
        known=known,
        memo_changed=changed,
        relinked=relinked,
        generation=(before, memo.get("generation")),
    )


def _placement(article: Article) -> tuple:
    """What of an article decides whose related story it is and where it ranks: its
    language, its tags and its place in the language's order (``_newest_first``)."""
    tags = article.terms.get("tags", ())
    keys = tuple(sorted([ref.key for ref in tags])) if len(tags) > 1 else tuple([ref.key for ref in tags])
    return (article.record.lang, keys, _newest_first(article))


def _remembered(site: Site, index: StoryIndex, memo: dict) -> tuple[dict, bool, Iterable[str]]:
    """Every article's related stories (as paths), from ``memo`` where they cannot have
    changed, whether the memo changed, and the articles whose lists were made again (the
    others' are the memo's); the memo is brought up to date.

    An article's list is made from its window in each of its tags (the ``WINDOW`` articles of
    the tag on each side of it), ranked by the articles' places in time. A tag is "dirty"
    when one of its articles was added, removed, re-tagged or moved in time; in a dirty tag,
    the old and the new run of (article, place) pairs are compared, and only the articles
    whose window reaches the part that differs are looked at again (a story published at
    the newest end of a tag of 5,000 touches the windows of its 26 newest). So is every
    article that is new, or re-tagged or moved itself."""
    before: dict = memo.get("placed", {})
    lists: dict = memo.get("related", {})
    placed = {a.path: _placement(a) for articles in site.articles.values() for a in articles}
    if placed == before and len(lists) == len(placed):
        return lists, False, ()
    # New, re-tagged or moved in time; gone: their tags are dirty.
    moved = [path for path, now in placed.items() if before.get(path) != now]
    gone = before.keys() - placed.keys()
    dirty: set[tuple[str, str]] = set()
    for path in moved:
        now, old = placed[path], before.get(path)
        dirty.update((now[0], key) for key in now[1])
        if old is not None:
            dirty.update((old[0], key) for key in old[1])
    for path in gone:
        old = before[path]
        dirty.update((old[0], key) for key in old[1])
    redo = _touched(index, dirty, before, placed, gone.union(moved))
    redo.update(moved)
    if lists.keys() == before.keys():
        # A list names stories the last build had (``before``'s): a story gone is one of these.
        if gone:
            redo.update(path for path, kept in lists.items() if path in placed and not gone.isdisjoint(kept))
    else:  # a memo not made by ``remembered``: every list looked at
        redo.update(path for path in placed if path not in lists or any(p not in placed for p in lists[path]))
    known: dict[str, tuple[str, ...]] = {path: lists.get(path) for path in placed}
    order, position = index.order, index.position
    for path in redo:
        known[path] = tuple(a.path for a in related(index, order[placed[path][0]][position[path]]))
    memo["placed"], memo["related"] = placed, known
    return known, True, redo


def _touched(index: StoryIndex, dirty: set, before: dict, placed: dict, changed: set[str]) -> set[str]:
    """The articles whose window in a dirty tag differs, or may, from the last build's.
    ``changed``: the articles new, gone, re-tagged or moved in time; every other article's
    placement is the one ``before`` holds, so a tag's run as the last build had it is its
    articles now less the changed ones, plus the changed ones that had it then (looked up
    among the tag's articles and those few, not among every story of the site)."""
    runs: dict[tuple[str, str], list[tuple]] = {tag: [] for tag in dirty}
    for path in changed:
        old = before.get(path)
        if old is not None:
            for key in old[1]:
                run = runs.get((old[0], key))
                if run is not None:
                    run.append((old[2], path))
    touched: set[str] = set()
    for (lang, key), old in runs.items():
        order = index.order.get(lang, ())
        new = [(placed[a.path][2], a.path) for a in (order[i] for i in index.members(lang, key))]
        old.extend(item for item in new if item[1] not in changed)
        old.sort()  # the tag's articles as the last build ordered them (``_newest_first``)
        if old == new:
            continue
        same = 0  # the common head, then the common tail
        while same < len(old) and same < len(new) and old[same] == new[same]:
            same += 1
        tail = 0
        while tail < len(old) - same and tail < len(new) - same and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        # Every article whose window (WINDOW on each side) reaches the differing part.
        low, high = max(0, same - WINDOW - 1), min(len(new), len(new) - tail + WINDOW + 1)
        touched.update(path for _, path in new[low:high])
    return touched


def related(index: StoryIndex, article: Article, limit: int = RELATED) -> tuple[Article, ...]:
    if limit == RELATED:
        found = index.known.get(article.path)
        if found is not None:
            order, position = index.order[article.lang], index.position
            return tuple(order[position[path]] for path in found)
    me = index.position.get(article.path)
    if me is None or not article.tags:
        return ()
    shared: dict[int, int] = {}
    count = shared.get
    lang = article.lang
    for ref in article.tags:
        members = index.members(lang, ref.key)
        at = bisect_left(members, me)
        if at == len(members) or members[at] != me:
            at = 0  # not among the tag's articles (as an unknown place always was)
        for pos in members[max(0, at - WINDOW) : at + WINDOW + 1]:
            shared[pos] = count(pos, 0) + 1
    shared.pop(me, None)
    # Most shared tags first, then newest (the smaller position): positions grouped by count
    # (a few small numbers), each group sorted as plain integers.
    groups: dict[int, list[int]] = {}
    for pos, n in shared.items():
        groups.setdefault(n, []).append(pos)
    best: list[int] = []
    for n in sorted(groups, reverse=True):
        best.extend(sorted(groups[n])[: limit - len(best)])
        if len(best) >= limit:
            break
    order = index.order[lang]
    return tuple(order[pos] for pos in best)


def neighbours(index: StoryIndex, article: Article) -> tuple[Article | None, Article | None]:
    """(older, newer) article in the same language, or None at either end."""
    order = index.order.get(article.lang, ())
    i = index.position.get(article.path)
    if i is None:
        return None, None
    older = order[i + 1] if i + 1 < len(order) else None
    newer = order[i - 1] if i > 0 else None
    return older, newer
