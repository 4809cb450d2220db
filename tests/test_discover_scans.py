"""The read stage's sources taken from the fingerprint's listing (``sources._scanned``) are
the ones ``discover`` finds by walking the folders, with the same problems, for any tree:
plain trees take the quick way, anything to report or follow goes the long way."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import scratch_site
from generator.cache import inputs_digest
from generator.config import load_config
from generator.sources import _scanned, discover

FOLDERS = ["content/ar", "content/en", "content/en/2026", "content/en/.drafts", "content/images",
           "content/images/ar", "content/xx", "content", "content/en/a/b/c/d/e/f/g", "seeds",
           "seeds/agency", "seeds/.old", "seeds/a/b/c/d/e/f/g/h"]  # fmt: skip
NAMES = ["a.md", "b.MD", "c.txt", "d.html", ".e.md", "f.md~", "g", "h.yml", "i.md.tmp", "ج.md"]
SPECIAL = ["link to a file", "link out", "link to a folder", "fifo", "bad name"]


def make_tree(root: Path, files: list[tuple[str, str]], specials: list[tuple[str, str]]) -> None:
    for folder, name in files:
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_text("---\ntitle: x\n---\nbody\n", encoding="utf-8")
    for folder, kind in specials:
        where = root / folder
        where.mkdir(parents=True, exist_ok=True)
        if kind == "link to a file":
            (where / "linked.md").write_text("x", encoding="utf-8")
            os.symlink("linked.md", where / "link.md")
        elif kind == "link out":
            os.symlink("/etc/hostname", where / "out.md")
        elif kind == "link to a folder":
            os.symlink(".", where / "loop")
        elif kind == "fifo":
            os.mkfifo(where / "pipe.md")
        elif kind == "bad name":
            (where / os.fsdecode(b"bad-\xff.md")).write_text("x", encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES)), max_size=12),
    specials=st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(SPECIAL)), max_size=2, unique=True),
)
def test_sources_from_the_listing_are_the_walks(tmp_path, files, specials):
    root = tmp_path / "site"
    shutil.rmtree(root, ignore_errors=True)
    scratch_site(root, {"ar": 'name = "العربية"', "en": 'name = "English"'})
    make_tree(root, files, specials)
    config = load_config(root)
    scans: dict = {}
    inputs_digest(config, root / "public", dt.date(2026, 1, 1), scans)
    assert discover(config, scans) == discover(config)
    if not specials and not any(folder == "content/xx" for folder, _ in files):
        assert _scanned(config, scans) is not None  # a plain tree takes the quick way
