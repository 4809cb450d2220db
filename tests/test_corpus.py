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
