"""``python build.py import``: a seed becomes an editable article, and the build then uses it."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, build, copy_site

SEED = "seeds/000_92923d39de616abf.txt"


def test_import_writes_article_and_build_prefers_edited_copy(tmp_path):
    root = copy_site(tmp_path / "site")
    run = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "import", str(root / SEED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    article = root / "content/ar/000_92923d39de616abf.md"
    text = article.read_text(encoding="utf-8")
    assert f"seed: {SEED}" in text and "date: '2022-01-11'" in text
    assert "(تستمر)" not in text
    # An editor corrects the title; the build must use the article, not re-read the seed.
    text = text.replace("title: 'شويغو:", "title: 'تصحيح المحرر: شويغو:", 1)
    article.write_text(text, encoding="utf-8")
    report, out = build(root)
    ar = [a for a in report.site.articles["ar"] if a.translation_group == "seed:000_92923d39de616abf"]
    assert len(ar) == 1, [a.record.path for a in ar]
    assert ar[0].record.path.startswith("content/ar/") and ar[0].title.startswith("تصحيح المحرر")
    assert len(ar[0].record.paragraphs) == 10
    # A second import refuses to overwrite the editor's work.
    again = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(root), "import", str(root / SEED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 1 and "--force" in again.stdout


def test_an_unproven_claim_on_a_seed_changes_the_records_fingerprint():
    """A Markdown article whose ``seed:`` claim is undone keeps its own id and gains a
    warning; its fingerprint (which page keys trust) says so, as a fresh one would."""
    import datetime as dt
    from dataclasses import replace

    from conftest import markdown_record
    from generator.importer import claimed_seeds
    from generator.pagekeys import fingerprint_of

    story = markdown_record(
        "claimer",
        dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc),
        source_id="seed:000",
        extra={"seed": "seeds/000.txt", "seed_hash": "not-the-seed's", "own_id": "en/claimer"},
    )
    story = replace(story, fingerprint=fingerprint_of(story).hex())
    claimed, (record,) = claimed_seeds([story])
    assert not claimed and record.source_id != story.source_id and record.warnings
    assert record.fingerprint == fingerprint_of(record).hex() != story.fingerprint
