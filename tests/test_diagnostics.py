"""Diagnostics: one type for every message about an input (level, file, field or line,
message), printed one way for a person and as JSON for CI."""

from __future__ import annotations

import pickle

import pytest

from generator.diagnostics import Diagnostic, diagnostics


@pytest.mark.parametrize(
    "text, file, field, line",
    [
        ("site.toml: [languages.ckb] calendars: CLDR has no", "site.toml", "languages.ckb.calendars", None),
        ("content/ar/x.md: field 'date' must be a date", "content/ar/x.md", "date", None),
        ("seeds/a.txt: 'date' 2022 is a number, not a date; ignored", "seeds/a.txt", "date", None),
        ("content/ar/x.md: tags: 60 values, only the first 50 are kept", "content/ar/x.md", "tags", None),
        ("permalinks.tsv: line 3: 'x' is listed twice", "permalinks.tsv", None, 3),
        ("content/my story.md: invalid YAML in front matter: bad", "content/my story.md", None, None),
        ("the build failed: OSError: disk full", "", None, None),
    ],
)
def test_plain_messages_are_read_into_their_parts(text, file, field, line):
    d = Diagnostic.parse(text, "warning")
    assert str(d) == text  # the text is unchanged: reports, saved state and tests read it so
    assert (d.file, d.field, d.line) == (file, field, line)
    assert d.render() == f"warning: {text}"


def test_a_diagnostic_keeps_its_parts_through_processes_and_levels():
    d = Diagnostic("content/ar/x.md", "slug 'x' is reserved", field="slug")
    back = pickle.loads(pickle.dumps(d))
    assert (
        back.as_dict()
        == d.as_dict()
        == {
            "level": "warning",
            "file": "content/ar/x.md",
            "field": "slug",
            "line": None,
            "message": "slug 'x' is reserved",
        }
    )
    assert Diagnostic.parse(d, "error").as_dict()["level"] == "error"
    assert [x.level for x in diagnostics(["a.md: bad"], ["b.md: odd"])] == ["error", "warning"]
    with pytest.raises(ValueError):
        Diagnostic("a.md", "x", level="note")


def test_rendering_escapes_what_a_terminal_would_obey():
    d = Diagnostic("seeds/\u202eevil.txt", "title \x1b]0;owned\x07 ignored")
    assert "\x1b" not in d.render() and "\u202e" not in d.render()
