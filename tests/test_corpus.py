"""The shared corpus answer key, scored exactly as shared/corpus/score.py scores it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO, shared_path

pytestmark = pytest.mark.corpus


def test_corpus_full_score():
    script = shared_path("corpus", "score.py")
    result = subprocess.run(
        [sys.executable, str(script), "--show-misses"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    found = re.search(r"overall (\d+)/(\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    got, total = int(found.group(1)), int(found.group(2))
    assert total > 0
    assert got == total, result.stdout


def test_no_long_paragraph_of_a_corpus_article_is_dropped():
    """Every line of 200 characters or more in a corpus file is prose; unless the answer key
    lists it as boilerplate, or it is an extractor's trailing copy of headline and lead, the
    reader keeps it (as a paragraph, or as the lead after its dateline)."""
    import json
    import unicodedata

    from generator.errors import SahifaError
    from generator.seeds import read_seed

    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    corpus = shared_path("corpus")
    answers = json.loads((corpus / "answers.json").read_text(encoding="utf-8"))["articles"]
    lost = []
    for answer in answers:
        path = corpus / answer["file"]
        if answer.get("format") == "html":
            continue  # markup, not lines
        try:
            record = read_seed(path, corpus)
        except SahifaError:
            continue
        body = fold(" ".join(record.paragraphs))
        chrome = [fold(b) for b in answer.get("boilerplate") or ()]
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = fold(line)
            repeat = line.startswith(fold(record.title))
            if len(line) >= 200 and not repeat and not any(c in line or line in c for c in chrome):
                if line[-80:] not in body:
                    lost.append((answer["file"], line[:60]))
    assert not lost, lost[:5]
