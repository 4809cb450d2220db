"""Per-article page data beyond the text: reading time, JSON-LD, related and neighbours.

``article_context`` is what the page planner adds to an article page's context. Everything
is computed from the article and a ``StoryIndex`` made once per build; templates render the
JSON-LD mapping with ``|tojson`` (which also escapes ``<``, ``>``, ``&`` and ``'``).
"""

from __future__ import annotations

import math
from typing import Any

from .config import SiteConfig
from .model import Article
from .related import StoryIndex, neighbours, related
from .urls import Urls


def word_count(article: Article) -> int:
    """Words of the body (spaces + 1 per paragraph: paragraphs are normalised text, and
    counting spaces is several times faster than splitting 10,000 bodies into lists)."""
    paragraphs = [p for p in (article.record.paragraphs or (article.summary,)) if p.strip()]
    return sum(p.strip().count(" ") for p in paragraphs) + len(paragraphs)


def reading_minutes(article: Article, words: int | None = None, per_minute: int = 220) -> int:
    """Whole minutes, at least 1 (``words``: the article's ``word_count``, if known;
    ``per_minute``: the language's ``reading_speed``, from ``data/reading.toml`` by script)."""
    words = word_count(article) if words is None else words
    return max(1, math.ceil(words / per_minute - 0.25))


def news_article_ld(
    article: Article, urls: Urls, config: SiteConfig, words: int | None = None, image: str | None = None
) -> dict[str, Any]:
    """schema.org ``NewsArticle`` for one article page (``words`` as in ``reading_minutes``;
    ``image``: the lead image's social size, an output path or a URL; without one, the site's
    own card ``static/social.png``, since Google asks every story for an image)."""
    lcfg = config.language(article.lang)
    url = urls.absolute(article.path)
    published = iso_moment(article.published, article.timed)
    modified = iso_moment(article.modified, True) if article.record.updated else published
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "inLanguage": article.lang,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "publisher": publisher_ld(lcfg, urls),
        "isAccessibleForFree": True,
        "wordCount": word_count(article) if words is None else words,
    }
    if published:
        data["datePublished"] = published
        data["dateModified"] = modified
    for taxonomy in config.taxonomies:  # each fills the property its configuration names
        refs = article.terms.get(taxonomy.name)
        if refs and taxonomy.jsonld:
            data.setdefault(taxonomy.jsonld, []).extend(_ld_value(taxonomy.jsonld, ref, urls) for ref in refs)
    if article.sources and "sourceOrganization" not in data:  # sources named, not a taxonomy
        data["sourceOrganization"] = [_ld_value("sourceOrganization", s, urls) for s in article.sources]
    if "author" not in data:  # no byline: the agencies that carried it, else the publisher
        data["author"] = data.get("sourceOrganization") or [data["publisher"]]
    data["image"] = [social_image(image, urls)]
    if article.record.city:
        data["contentLocation"] = {"@type": "Place", "name": article.record.city}
    data["mainEntityOfPage"]["breadcrumb"] = _breadcrumb(article, lcfg, urls, config, url)
    return data


def social_image(image: str | None, urls: Urls) -> str:
    """Absolute URL of a page's preview image (``og:image``, ``twitter:image``, JSON-LD)."""
    if image is None:
        image = "static/social.png"
    return image if image.startswith(("http://", "https://")) else urls.absolute(image)


def publisher_ld(lang, urls: Urls) -> dict[str, Any]:
    """The site as the publishing ``Organization``, with its logo (``static/favicon.svg``)."""
    return {
        "@type": "Organization",
        "name": lang.title,
        "url": urls.absolute(urls.home(lang.code)),
        "logo": {"@type": "ImageObject", "url": urls.absolute("static/favicon.svg")},
    }


def website_ld(lang, urls: Urls) -> dict[str, Any]:
    """A language's front page: the ``WebSite`` in that language and its publisher."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": lang.title,
        "description": lang.description,
        "url": urls.absolute(urls.home(lang.code)),
        "inLanguage": lang.code,
        "publisher": publisher_ld(lang, urls),
    }


def _breadcrumb(article: Article, lang, urls: Urls, config: SiteConfig, url: str) -> dict[str, Any]:
    """Home → the story's first section (the taxonomy that fills ``articleSection``) → story."""
    steps = [(lang.title, urls.absolute(urls.home(lang.code)))]
    for taxonomy in config.taxonomies:
        refs = article.terms.get(taxonomy.name)
        if refs and taxonomy.jsonld == "articleSection":
            ref = refs[0]
            steps.append((ref.name, urls.absolute(urls.term(ref.lang, ref.taxonomy, ref.slug))))
            break
    steps.append((article.title, url))
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": item}
            for n, (name, item) in enumerate(steps, start=1)
        ],
    }


def _ld_value(prop: str, term, urls: Urls):
    """One term (a ``TermRef``, or a plain name) as the value of a schema.org property."""
    name = getattr(term, "name", term)
    if prop == "author":
        return {
            "@type": "Person",
            "name": name,
            "url": urls.absolute(urls.term(term.lang, term.taxonomy, term.slug)),
        }
    if prop == "sourceOrganization":
        value = {"@type": "Organization", "name": name}
        if hasattr(term, "slug"):  # a term of a taxonomy: its page is the organisation's
            value["url"] = urls.absolute(urls.term(term.lang, term.taxonomy, term.slug))
        return value
    return name


def iso_moment(moment, timed: bool) -> str | None:
    """ISO 8601 with its UTC offset when a time was given, the day alone otherwise."""
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds") if timed else moment.date().isoformat()


def article_context(
    index: StoryIndex, article: Article, urls: Urls, config: SiteConfig, image: str | None = None
) -> dict[str, Any]:
    """``image``: the lead image's social size (``images.Pictures.social``), if it has one."""
    older, newer = neighbours(index, article)
    words = word_count(article)  # the body is stored compressed: unpack and count it once
    jsonld = news_article_ld(article, urls, config, words, image)
    return {
        "related": related(index, article),
        "older_article": older,
        "newer_article": newer,
        "reading_minutes": reading_minutes(article, words, config.language(article.lang).reading_speed),
        "jsonld": jsonld,
        "social_image": jsonld["image"][0],  # the one preview image, as the JSON-LD names it
    }
