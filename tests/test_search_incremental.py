"""The search index kept between builds (``search_index._Index``) and patched for what
changed gives, after any sequence of new, deleted, corrected and re-dated stories, the files
an index made from nothing gives, byte for byte; a file given without being made again has
the key of the bytes it holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import search_index
from generator.search_index import _content_key, language_files

WORDS = ["press", "freedom", "day", "flood", "river", "vote", "council", "port", "strike", "harvest"]
URLS = SimpleNamespace(href=lambda path: "/" + path, search=lambda lang: f"{lang}/search/index.html")


def _story(n: int, day: int, words: tuple[int, ...], version: int = 0) -> SimpleNamespace:
    text = " ".join(WORDS[w % len(WORDS)] + (str(w) if w >= len(WORDS) else "") for w in words)
    record = SimpleNamespace(
        fingerprint=hashlib.blake2b(f"{n} {day} {words} {version}".encode(), digest_size=16).hexdigest(),
        paragraphs=(text,),
    )
    return SimpleNamespace(
        path=f"en/articles/story-{n}/index.html",
        title=f"Story {n} {WORDS[n % len(WORDS)]}",
        summary=text[:40],
        date=dt.date(2020, 1, 1) + dt.timedelta(days=day),
        tags=(SimpleNamespace(name=WORDS[(n + version) % len(WORDS)]),),
        record=record,
    )


def _ordered(stories: dict) -> tuple:
    """Newest first, as the model orders a language's stories."""
    return tuple(sorted(stories.values(), key=lambda a: (a.date, a.path), reverse=True))


def _made(files) -> dict[str, bytes]:
    out = {}
    for rel, key, make in files:
        data = make()
        assert key == _content_key(data), rel
        out[rel] = data
    return out


edits = st.lists(
    st.tuples(
        st.sampled_from(["publish", "delete", "correct", "redate", "none"]),
        st.integers(0, 30),
        st.integers(0, 400),
        st.lists(st.integers(0, 25), min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 12), steps=edits)
def test_a_patched_index_is_the_index_made_from_nothing(monkeypatch, start, steps):
    monkeypatch.setattr(search_index, "CHUNK", 3)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 12)
    stories = {n: _story(n, n * 7 % 40, (n, n + 3, n * 2)) for n in range(start)}
    memo: dict = {}
    fresh_count = len(stories)
    for step, (action, pick, day, words) in enumerate(steps):
        if action == "publish" or not stories:
            stories[fresh_count] = _story(fresh_count, day, tuple(words))
            fresh_count += 1
        else:
            n = sorted(stories)[pick % len(stories)]
            old = stories[n]
            if action == "delete":
                del stories[n]
            elif action == "correct":
                stories[n] = _story(n, (old.date - dt.date(2020, 1, 1)).days, tuple(words), version=step + 1)
            elif action == "redate":
                stories[n] = _story(n, day, tuple(words), version=step + 1)
        articles = _ordered(stories)
        memo = pickle.loads(pickle.dumps(memo))  # kept in a file between builds
        before = _kept(memo)
        kept = _made(language_files("en", articles, URLS, None, memo))
        if memo["index"].unchanged:  # then the memo is not saved again: it must hold the same
            assert _kept(memo) == before
        clean = _made(language_files("en", articles, URLS, None, None))
        assert kept == clean
        before = _kept(pickle.loads(pickle.dumps(memo)))
        again = language_files("en", articles, URLS, None, memo)
        assert _made(again) == clean  # nothing changed: the files as kept
        assert memo["index"].unchanged and _kept(memo) == before


def _kept(memo: dict):
    """What a kept index holds for the next build (not what the last update changed)."""
    index = memo.get("index")
    fields = ("clitics", "vocab", "docs", "terms", "weights", "postings", "files", "shards", "config")
    return None if index is None else {name: getattr(index, name) for name in fields}


def test_a_file_that_changed_is_made_and_the_others_are_not(monkeypatch):
    """A correction that touches one word makes the shards holding that word and the chunk
    holding the story; the rest are given as kept (their makers not called)."""
    monkeypatch.setattr(search_index, "CHUNK", 2)
    monkeypatch.setattr(search_index, "SHARD_LIMIT", 6)
    stories = {n: _story(n, n, (n, n + 1)) for n in range(8)}
    memo: dict = {}
    first = _made(language_files("en", _ordered(stories), URLS, None, memo))
    stories[2] = _story(2, 2, (2, 3, 20), version=1)  # the title and summary change too
    files = language_files("en", _ordered(stories), URLS, None, memo)
    fresh = {rel for rel, _, make in files if getattr(make, "func", None) is search_index._same}
    assert "en/search/index/d-1.json" in fresh  # story 2 is document 2: the second chunk
    assert "en/search/index/d-0.json" not in fresh and "en/search/index/d-3.json" not in fresh
    assert len([rel for rel in fresh if "/t-" in rel]) < len([rel for rel in first if "/t-" in rel])
    assert _made(files) == _made(language_files("en", _ordered(stories), URLS, None, None))
