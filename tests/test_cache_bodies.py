"""Records' bodies kept apart in the build cache (``BuildCache(lazy_bodies=True)``): read when
a page needs them, the same text as the record read; a cache folder moved elsewhere or a
bodies file that is not the one its records were written with is an absent cache."""

from __future__ import annotations

import shutil
from pathlib import Path

from generator.cache import BuildCache
from generator.config import load_config
from generator.pipeline import read_records
from generator.readers import ReadOptions
from conftest import scratch_site


def _site(root: Path) -> Path:
    files = {
        f"content/en/s{i}.md": f"---\ntitle: Story {i}\ndate: 2025-01-0{i + 1}\n---\n\nBody {i} "
        + "word " * 200
        + "\n"
        for i in range(5)
    }
    return scratch_site(root, {"en": ""}, files)


def _read(root: Path, folder: Path, *, lazy: bool):
    config = load_config(root)
    cache = BuildCache(folder, lazy_bodies=lazy)
    records, problems = read_records(config, cache)
    assert not problems
    return cache, {r.path: r for r in records}


def test_lazy_bodies_are_the_bodies_read(tmp_path):
    root = _site(tmp_path / "site")
    folder = root / ".sahifa-cache"
    _, fresh = _read(root, folder, lazy=True)  # read from the files, then kept
    assert sorted(p.name[:9] for p in folder.glob("bodies-*.bin"))  # kept apart
    cache, lazy = _read(root, folder, lazy=True)
    _, eager = _read(root, folder, lazy=False)
    for path, record in fresh.items():
        held = lazy[path].__dict__["_packed_body_html"]
        assert type(held) is tuple  # where it is, not the bytes
        assert lazy[path].body_html == record.body_html == eager[path].body_html
        assert lazy[path].paragraphs == record.paragraphs
        assert type(eager[path].__dict__["_packed_body_html"]) is bytes
        assert lazy[path] == record
    # A changed story rewrites its shard's bodies file; the records of that shard stay whole.
    (root / "content/en/s1.md").write_text(
        "---\ntitle: Story 1\ndate: 2025-01-02\n---\n\nNew body\n", encoding="utf-8"
    )
    config = load_config(root)
    records, _ = read_records(config, cache)
    again = {r.path: r for r in records}
    assert "New body" in again["content/en/s1.md"].body_html
    for path in fresh:
        if path != "content/en/s1.md":
            assert again[path].body_html == fresh[path].body_html
    names = {p.name[:9] for p in folder.glob("bodies-*.bin")}
    assert len(list(folder.glob("bodies-*.bin"))) == len(names)  # one file per shard: the old one gone
    _, reread = _read(root, folder, lazy=True)
    assert {p: r.body_html for p, r in reread.items()} == {p: r.body_html for p, r in again.items()}


def test_a_moved_cache_folder_is_used_and_a_lost_bodies_file_read_again(tmp_path, monkeypatch):
    import generator.pipeline as pipeline

    root = _site(tmp_path / "site")
    folder = root / ".sahifa-cache"
    _, fresh = _read(root, folder, lazy=True)
    moved = tmp_path / "elsewhere"
    shutil.copytree(folder, moved)
    reads = []
    real = pipeline._read_one
    monkeypatch.setattr(
        pipeline, "_read_one", lambda source, **kw: reads.append(source) or real(source, **kw)
    )
    cache, again = _read(root, moved, lazy=True)
    assert reads == []  # its records are used where the folder now is
    assert {p: r.body_html for p, r in again.items()} == {p: r.body_html for p, r in fresh.items()}
    shutil.rmtree(folder)  # the first folder gone: nothing points into it
    _, third = _read(root, moved, lazy=True)
    assert {p: r.body_html for p, r in third.items()} == {p: r.body_html for p, r in fresh.items()}
    assert reads == []
    for bodies in moved.glob("bodies-*.bin"):
        bodies.unlink()
    cache = BuildCache(moved, lazy_bodies=True)
    cache.load_records(ReadOptions.from_config(load_config(root)).cache_key())
    assert cache.records == {}  # bodies lost: the records are read again
    _, fourth = _read(root, moved, lazy=True)
    assert {p: r.body_html for p, r in fourth.items()} == {p: r.body_html for p, r in fresh.items()}
    assert len(reads) == len(fresh)
