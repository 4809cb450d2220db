"""The output writer's quick check of a path (``_plain_rel``) against its full one, and of
many paths at once (``_all_plain``, ``OutputWriter.claim``) against the check of each."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import write as write_module
from generator.errors import SahifaError
from generator.write import OutputWriter, _all_plain, _plain_rel, check_rel

PIECES = st.sampled_from(
    ["a", ".", "..", "", "/", "//", "\\", "\x00", "b.c", "..a", "a..", "é", "\n", " ", "ز"]
)


@given(st.lists(PIECES, max_size=10).map("".join) | st.text(max_size=30))
def test_a_quick_yes_is_a_path_check_rel_takes_as_it_is(rel):
    if not _plain_rel(rel):
        return
    assert check_rel(rel) == PurePosixPath(rel)
    assert PurePosixPath(rel).parts == tuple(rel.split("/"))


@given(st.lists(st.text(st.characters(blacklist_characters="/\\\x00"), min_size=1), min_size=1, max_size=5))
def test_names_joined_by_single_slashes_are_plain_unless_one_is_a_dot_or_two(names):
    rel = "/".join(names)
    assert _plain_rel(rel) == all(name not in (".", "..") for name in names)


@pytest.mark.parametrize("rel", ["", "/a", "a//b", "a/", "a/../b", "./a", "a/.", "a\\b", "a\x00b"])
def test_paths_the_quick_check_leaves_to_check_rel(rel):
    assert not _plain_rel(rel)
    if rel in ("a//b", "a/", "./a", "a/."):
        return  # PurePosixPath drops empty names and dots: check_rel lets these through
    with pytest.raises(SahifaError):
        check_rel(rel)


PATHS = st.lists(st.lists(PIECES, max_size=8).map("".join), min_size=1, max_size=6)


@given(PATHS)
def test_many_paths_are_plain_together_only_when_each_is(paths):
    together = _all_plain(paths)
    if together:
        assert all(_plain_rel(rel) for rel in paths)
    if not any("\n" in rel for rel in paths):  # a newline: left to the check of each
        assert together == all(_plain_rel(rel) for rel in paths)


@given(PATHS, PATHS)
def test_claiming_many_paths_at_once_refuses_what_claiming_each_refuses(tmp_path_factory, first, second):
    def outcome(claims):
        writer = OutputWriter(tmp_path_factory.mktemp("out") / "site")
        try:
            for batch in claims:
                writer.claim(batch)
        except SahifaError as exc:
            return "refused", str(exc)
        return "claimed", writer.written

    assert outcome([first, second]) == outcome([[rel] for rel in (*first, *second)])


def test_paths_the_last_build_wrote_are_not_checked_again_and_new_ones_are(tmp_path, monkeypatch):
    """``claim`` looks only at the paths the last build's manifest does not hold (it checked
    those when it claimed them): 190,000 Arabic paths cost 0.2 s to look at again."""
    out = tmp_path / "site"
    out.mkdir()
    known = [f"ar/page/{n}/index.html" for n in range(50)]
    previous = {rel: (1, 1, b"d") for rel in known}
    looked = []
    real_all, real_one = write_module._all_plain, write_module._plain_rel
    monkeypatch.setattr(write_module, "_all_plain", lambda paths: looked.extend(paths) or real_all(paths))
    monkeypatch.setattr(write_module, "_plain_rel", lambda rel: looked.append(rel) or real_one(rel))
    writer = OutputWriter(out, previous=previous)
    writer.claim(known)
    assert writer.written == set(known) and not looked
    writer = OutputWriter(out, previous=previous)
    writer.claim([*known[1:], "ar/new/index.html"])
    assert looked == ["ar/new/index.html"]
    writer = OutputWriter(out, previous=previous)
    with pytest.raises(SahifaError):
        writer.claim([*known[1:], "ar/../../escape.html"])
    writer.abort()
