"""Property test: after any sequence of edits, an incremental build is the clean build.

A small two-language site of its own (short pages, so one story shifts whole paginations),
then random sequences of what a newsroom does all day: publish a story, delete one, correct
one, move it to another day, re-tag it, move it to another section, link or unlink a
translation. After every step the output folder of the incremental build (cache, kept spare
tree, page keys) must equal a clean build of the same inputs, file by file and byte for byte,
and every page skipped because its declared inputs were unchanged must have the key it had.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY, copy_site
from generator import pagekeys
from generator.cache import BuildCache, manifest_matches
from generator.config import load_config
from generator.pipeline import build_site
from test_incremental import assert_same_tree

WORDS = {
    "ar": "الحكومة الميناء المطر السوق الجامعة القمح المحكمة الملعب".split(),
    "en": "harbour council budget river market school court bridge".split(),
}
SECTIONS = {"ar": ["اقتصاد", "سياسة", "رياضة"], "en": ["Economy", "Politics", "Sport"]}
# Egypt is one entity in both languages (CLDR): its term pages link each other.
TAGS = {"ar": ["الماء", "النفط", "التعليم", "مصر"], "en": ["Water", "Oil", "Schools", "Egypt"]}
OPERATIONS = ("add", "delete", "correct", "redate", "retag", "resection", "translate", "untranslate")


def story(rng: random.Random, lang: str, n: int, key: str | None) -> str:
    words = WORDS[lang]
    title = " ".join(rng.choice(words) for _ in range(4)) + f" {n}"
    tags = rng.sample(TAGS[lang], rng.randint(0, 2))
    lines = [
        "---",
        f'title: "{title}"',
        f"date: 2026-{rng.randint(9, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00+03:00",
        f"section: {rng.choice(SECTIONS[lang])}",
        f"tags: [{', '.join(tags)}]",
        f"slug: story-{n}",
    ]
    if key:
        lines.append(f"translation_key: {key}")
    lines += ["---", " ".join(rng.choice(words) for _ in range(30)) + ".", ""]
    return "\n".join(lines)


def stories(root: Path) -> list[Path]:
    return sorted((root / "content").glob("*/story-*.md"))


def replace_line(path: Path, field: str, value: str | None) -> None:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("\n---\n")
    head = re.sub(rf"^{field}: .*\n?", "", head + "\n", flags=re.M).rstrip("\n")
    if value is not None:
        head += f"\n{field}: {value}"
    path.write_text(head + sep + body, encoding="utf-8")


def apply(root: Path, operation: str, seed: int) -> None:
    rng = random.Random(seed)
    existing = stories(root)
    if operation == "add" or not existing:
        lang = rng.choice(("ar", "en"))
        n = 100 + seed % 900
        while (root / "content" / lang / f"story-{n}.md").exists():
            n += 1
        (root / "content" / lang / f"story-{n}.md").write_text(story(rng, lang, n, None), encoding="utf-8")
        return
    path = rng.choice(existing)
    lang = path.parent.name
    if operation == "delete":
        path.unlink()
    elif operation == "correct":
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('title: "', 'title: "Corrected ', 1) + "\nA correction.\n", encoding="utf-8"
        )
    elif operation == "redate":
        replace_line(path, "date", f"2026-{rng.randint(9, 12):02d}-{rng.randint(1, 28):02d}T08:30:00+03:00")
    elif operation == "retag":
        replace_line(path, "tags", f"[{', '.join(rng.sample(TAGS[lang], rng.randint(0, 3)))}]")
    elif operation == "resection":
        replace_line(path, "section", rng.choice(SECTIONS[lang]))
    elif operation == "translate":
        others = [p for p in existing if p.parent.name != lang]
        key = f"k{seed % 1000}"
        if others:
            partner = rng.choice(others)
            replace_line(partner, "translation_key", key)
        replace_line(path, "translation_key", key)
    elif operation == "untranslate":
        replace_line(path, "translation_key", None)


@pytest.fixture(scope="module", autouse=True)
def verify_inputs_keys():
    """Every page whose inputs key says "unchanged" is keyed in full too, and must agree."""
    pagekeys.VERIFY = True
    yield
    pagekeys.VERIFY = False


@pytest.fixture(scope="module")
def template_site(tmp_path_factory) -> Path:
    """The demo's configuration, templates and catalogues with short pages and stories of
    this test's own: eight in Arabic and English, two of them translations of each other."""
    root = copy_site(tmp_path_factory.mktemp("properties") / "site", content=False, seeds=False)
    toml = root / "site.toml"
    toml.write_text(re.sub(r"(?m)^page_size = \d+", "page_size = 2", toml.read_text(encoding="utf-8")))
    rng = random.Random(7)
    for lang in ("ar", "en"):
        (root / "content" / lang).mkdir(parents=True, exist_ok=True)
        for n in range(4):
            key = "pair" if n == 0 else None
            (root / "content" / lang / f"story-{n}.md").write_text(story(rng, lang, n, key), encoding="utf-8")
    return root


def build(root: Path, out: Path, cached: bool) -> None:
    config = load_config(root)
    cache_dir = root / ".sahifa-cache" if cached else None
    report = build_site(config, out, today=TODAY, cache_dir=cache_dir)
    assert not report.problems, report.problems


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 10**6)), min_size=1, max_size=4),
    verify=st.booleans(),
)
def test_any_edit_sequence_builds_what_a_clean_build_does(template_site, tmp_path_factory, edits, verify):
    """``verify``: with ``pagekeys.VERIFY`` every page is keyed in full and checked; without
    it, a page whose inputs changed is rendered without a key (kept as None), and the builds
    after must still know it by its inputs key alone."""
    pagekeys.VERIFY = verify
    try:
        _edit_and_compare(template_site, tmp_path_factory, edits)
    finally:
        pagekeys.VERIFY = True


def _edit_and_compare(template_site, tmp_path_factory, edits) -> None:
    root = tmp_path_factory.mktemp("run") / "site"
    shutil.copytree(template_site, root)
    build(root, root / "public", cached=True)
    for step, (operation, seed) in enumerate(edits):
        apply(root, operation, seed)
        build(root, root / "public", cached=True)
        # The manifest the build kept (most of its entries carried over from the spare tree's
        # build, not asked again) is the folder's: its check passes.
        state = BuildCache(root / ".sahifa-cache").load_state((root / "public").absolute())
        assert state is not None and manifest_matches(root / "public", state.manifest)
        expected = root.parent / f"clean-{step}"
        build(root, expected, cached=False)
        assert_same_tree(root / "public", expected)
        shutil.rmtree(expected)


def test_the_spare_tree_caught_up_meanwhile_builds_what_a_clean_build_does(
    template_site, tmp_path, monkeypatch
):
    """The tree the last build replaced, brought up to date by a process of its own while the
    build models its stories (``write.SpareCatchUp``; here for any number of files, after
    every build that adds or deletes no story): after publish, correct, delete, re-date and
    re-tag steps, the output is the clean build's and the manifest kept is the
    folder's. A catch-up that a killed build left half done is not trusted: the next build
    starts from an empty folder and is right too; the files a build moved out of its way
    are gone when it is done, and a killed build's are removed by the next."""
    from generator import write

    monkeypatch.setattr(write, "CATCH_UP_MIN", 0)
    started = []
    real = write.SpareCatchUp.start

    def counting(self):
        real(self)
        started.append(self.process is not None)

    monkeypatch.setattr(write.SpareCatchUp, "start", counting)
    root = tmp_path / "site"
    shutil.copytree(template_site, root)
    build(root, root / "public", cached=True)
    for step, (operation, seed) in enumerate(
        [
            ("add", 1),
            ("correct", 2),
            ("add", 3),
            ("delete", 4),
            ("redate", 5),
            ("retag", 6),
            ("add", 7),
            ("correct", 8),
        ]
    ):
        apply(root, operation, seed)
        spare = BuildCache(root / ".sahifa-cache").spare_path((root / "public").absolute())
        if step == 4:  # a killed build's half-done catch-up: the tree under another name
            spare.replace(spare.with_name(spare.name + ".partial-0badf00d"))
            spare.with_name(spare.name + ".partial-0badf00d.todo").write_bytes(b"")
        if step == 6:  # a killed build's files moved out of its way, not yet removed
            (root / ".public.new-0badf00d.trash").mkdir()
            (root / ".public.new-0badf00d.trash" / "1-1").write_bytes(b"old page")
        build(root, root / "public", cached=True)
        assert not list(spare.parent.glob(spare.name + ".partial-*"))
        assert not [p.name for p in root.iterdir() if p.name.startswith(".public.")]
        state = BuildCache(root / ".sahifa-cache").load_state((root / "public").absolute())
        assert state is not None and manifest_matches(root / "public", state.manifest)
        expected = tmp_path / f"clean-{step}"
        build(root, expected, cached=False)
        assert_same_tree(root / "public", expected)
        shutil.rmtree(expected)
    assert sum(started) >= 3, started  # after every step that adds or deletes no story but the killed one
