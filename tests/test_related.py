"""Related stories kept between builds (``related.build_index``'s memo) are the ones a build
without the memo makes, after any sequence of new, deleted, re-dated, re-tagged and renamed
stories."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from generator import related as related_module
from generator.assemble import assemble
from generator.config import load_config
from generator.model import ArticleRecord
from generator.related import build_index, related, remembered
from conftest import markdown_record

TAGS = ("a", "b", "c", "d", "e")


def record(name: str, lang: str, hour: int, tags: tuple[str, ...], slug: str) -> ArticleRecord:
    published = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hour)
    return markdown_record(name, published, lang=lang, tags=tags, slug=slug, source_id=f"{lang}/{name}")


stories = st.fixed_dictionaries(
    {
        "lang": st.sampled_from(("en", "ar")),
        "hour": st.integers(0, 40),
        "tags": st.lists(st.sampled_from(TAGS), max_size=4, unique=True).map(tuple),
        "slug": st.sampled_from(("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8")),
    }
)
edits = st.tuples(
    st.sampled_from(("add", "delete", "redate", "retag", "rename", "body")), st.integers(0, 99), stories
)


@settings(max_examples=150, deadline=None)
@given(
    start=st.lists(stories, min_size=1, max_size=14), steps=st.lists(st.lists(edits, max_size=4), max_size=4)
)
def test_remembered_related_stories_are_the_ones_made_afresh(tmp_path_factory, start, steps):
    config = load_config(tmp_path_factory.mktemp("site"), base_url="https://example.org/")
    today = dt.date(2025, 1, 1)
    site_records = {f"n{i}": dict(s) for i, s in enumerate(start)}
    counter = len(site_records)
    memo: dict = {}
    window = related_module.WINDOW
    related_module.WINDOW = 2  # windows matter with a few stories per tag
    try:
        for step in [[]] + steps:
            for operation, pick, new in step:
                names = sorted(site_records)
                name = names[pick % len(names)] if names else None
                if operation == "add" or name is None:
                    site_records[f"n{counter}"] = dict(new)
                    counter += 1
                elif operation == "delete":
                    del site_records[name]
                elif operation == "redate":
                    site_records[name]["hour"] = new["hour"]
                elif operation == "retag":
                    site_records[name]["tags"] = new["tags"]
                elif operation == "rename":
                    site_records[name]["slug"] = new["slug"]
                # "body": nothing the related stories depend on
            records = [
                record(name, s["lang"], s["hour"], s["tags"], f"{s['slug']}-{name}")
                for name, s in site_records.items()
            ]
            site = assemble(records, config, today=today)
            kept = remembered(site, build_index(site), memo)
            fresh = build_index(site)
            assert memo.get("placed", {}) == {
                a.path: related_module._placement(a) for articles in site.articles.values() for a in articles
            }
            for articles in site.articles.values():
                for article in articles:
                    assert [a.path for a in related(kept, article)] == [
                        a.path for a in related(fresh, article)
                    ], article.path
    finally:
        related_module.WINDOW = window


def test_a_correction_is_taken_from_the_memo(tmp_path):
    """A build whose stories keep their tags and times makes no related list again, and
    leaves the memo as it was."""
    config = load_config(tmp_path, base_url="https://example.org/")
    records = [record(f"n{i}", "en", i, TAGS[i % 3 : i % 3 + 2], f"s{i}") for i in range(12)]
    memo: dict = {}
    site = assemble(records, config, today=dt.date(2025, 1, 1))
    first = remembered(site, build_index(site), memo)
    assert first.memo_changed and len(memo["related"]) == 12
    calls = []
    real = related_module.related

    def counting(index, article, limit=related_module.RELATED):
        calls.append(article.path)
        return real(index, article, limit)

    related_module.related = counting
    try:
        site = assemble(records, config, today=dt.date(2025, 1, 1))
        again = remembered(site, build_index(site), memo)
    finally:
        related_module.related = real
    assert calls == [] and not again.memo_changed
