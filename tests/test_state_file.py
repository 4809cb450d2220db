"""The build state's tables saved as changes from a base file (``BuildCache.save_state``):
any sequence of states, each saved with the one it was made from, reads back as saved; a
base file is written when the changes add up, and only the one the state names is kept; a
state whose base file is gone reads as no state (a full build)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import cache as cache_module
from generator.cache import BuildCache, BuildState

PATHS = [f"{lang}/page/{n}/index.html" for lang in ("ar", "en") for n in range(40)]


def _state(manifest: dict, pages: dict) -> BuildState:
    spare = dict(manifest)
    spare.pop(next(iter(spare), None), None)  # a spare tree one file short (its own delta)
    return BuildState("F", manifest, spare=spare, pages=pages, stories={"order": {"ar": [("a", b"k", None)]}})


def _bases(cache: BuildCache, out: Path) -> list[Path]:
    return sorted(cache.folder.glob(f"{cache.state_path(out).stem}-base-*.marshal"))


edit = st.tuples(st.sampled_from(PATHS), st.one_of(st.none(), st.integers(0, 3)))


@pytest.mark.parametrize("rebase_share", [cache_module.REBASE_SHARE, 1])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(edit, max_size=30), min_size=1, max_size=8))
def test_states_read_back_as_saved(tmp_path, monkeypatch, rebase_share, builds):
    """(With a share of 1, a base file is written only when more entries changed than
    there are: long chains of changes, stories added then removed since the base.)"""
    monkeypatch.setattr(cache_module, "REBASE_SHARE", rebase_share)
    folder = tmp_path / f"cache-{len(list(tmp_path.iterdir()))}"
    cache, out = BuildCache(folder), tmp_path / "public"
    manifest = {p: (len(p), 1, p.encode()) for p in PATHS[:50]}
    pages = {p: (p.encode(), (p, (), None, "2026-01-01"), None) for p in PATHS[:50]}
    cache.save_state(out, _state(manifest, pages))  # first: whole, as a base file
    assert len(_bases(cache, out)) == 1
    for edits in builds:
        since = cache.load_state(out)
        assert since is not None and since.base is not None
        manifest, pages = dict(since.manifest), dict(since.pages)  # the same objects, as a build keeps them
        for path, value in edits:
            if value is None:
                manifest.pop(path, None)
                pages.pop(path, None)
            else:
                manifest[path] = (value, 2, path.encode())
                pages[path] = (bytes([value]), (path, (), None, None), b"i")
        saved = _state(manifest, pages)
        cache.save_state(out, saved, since=since)
        again = cache.load_state(out)
        assert again.manifest == manifest and again.pages == pages
        assert again.spare == saved.spare and again.stories == saved.stories
        assert len(_bases(cache, out)) == 1  # the one the state names
        changed = len(again.base[1]["manifest"][0]) + len(again.base[1]["manifest"][1])
        assert changed * cache_module.REBASE_SHARE <= len(manifest) + len(pages)


def test_a_few_changes_are_saved_without_the_tables(tmp_path):
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "public"
    manifest = {f"ar/{n}/index.html": (n, 1, b"d%d" % n) for n in range(2000)}
    pages = {path: (b"k", (path, (), None, None), None) for path in manifest}
    cache.save_state(out, _state(manifest, pages))
    whole = cache.state_path(out).stat().st_size + _bases(cache, out)[0].stat().st_size
    base = _bases(cache, out)
    since = cache.load_state(out)
    manifest = dict(since.manifest)
    manifest["ar/7/index.html"] = (7, 2, b"new")
    cache.save_state(out, _state(manifest, dict(since.pages)), since=since)
    assert _bases(cache, out) == base  # the same base file
    assert cache.state_path(out).stat().st_size < whole / 20
    assert cache.load_state(out).manifest == manifest


def test_a_state_without_its_base_file_is_no_state(tmp_path):
    cache, out = BuildCache(tmp_path / "cache"), tmp_path / "public"
    manifest = {"a/index.html": (1, 1, b"d")}
    cache.save_state(out, _state(manifest, {"a/index.html": (b"k", None, None)}))
    assert cache.load_state(out) is not None
    for found in _bases(cache, out):
        found.unlink()
    assert cache.load_state(out) is None
