"""Links between articles of one language: related stories and previous/next article.

Related stories: the articles sharing most tags with this one, then the most recent, at most
``RELATED``. Candidates come from a tag -> articles index (each tag's list is newest first); for
a tag with many articles only the ``WINDOW`` articles nearest in time on each side are looked at,
so the work per article is bounded (tags x window) and a 10,000-article site stays linear.
For tags up to ``2 * WINDOW`` articles (almost all of them) the result is exact.

Previous/next: neighbours in the language's newest-first order ("previous" is older).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .model import Article, Site

RELATED = 5
WINDOW = 25


@dataclass(frozen=True)
class StoryIndex:
    """Positions computed once per build (plain dicts and tuples, read only afterwards).

    Articles are named by their position in their language's newest-first order, so
    candidate counting works on small integers and "more recent" is simply "smaller".
    """

    order: Mapping[str, tuple[Article, ...]]
    """Per language, newest first (the ``Site`` order)."""
    position: Mapping[str, int]
    """Article path -> its index in its language's order."""
    tag_members: Mapping[tuple[str, str], tuple[int, ...]]
    """(lang, tag key) -> positions of the articles carrying it, ascending (newest first)."""
    tag_position: Mapping[tuple[str, str, int], int]
    """(lang, tag key, article position) -> index in that tag's member tuple."""


def build_index(site: Site) -> StoryIndex:
    position: dict[str, int] = {}
    for articles in site.articles.values():
        for i, article in enumerate(articles):
            position[article.path] = i
    tag_members: dict[tuple[str, str], tuple[int, ...]] = {}
    tag_position: dict[tuple[str, str, int], int] = {}
    for lang, tags in site.tags.items():
        for tag in tags:
            members = tuple(sorted(position[a.path] for a in tag.articles if a.path in position))
            tag_members[(lang, tag.key)] = members
            for i, pos in enumerate(members):
                tag_position[(lang, tag.key, pos)] = i
    return StoryIndex(
        order=site.articles, position=position, tag_members=tag_members, tag_position=tag_position
    )


def related(index: StoryIndex, article: Article, limit: int = RELATED) -> tuple[Article, ...]:
    me = index.position.get(article.path)
    if me is None or not article.tags:
        return ()
    shared: dict[int, int] = {}
    count = shared.get
    lang = article.lang
    for ref in article.tags:
        members = index.tag_members.get((lang, ref.key), ())
        at = index.tag_position.get((lang, ref.key, me), 0)
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
