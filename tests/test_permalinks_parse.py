"""The permalink register's reader: its quick path for plain lines reads what the general
one does, line for line (hypothesis), problems included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.permalinks import Entry, Register, _unescape


def _reference(text: str, name: str = "permalinks.tsv") -> tuple[dict, list]:
    """The register's reading rules, one line at a time, without any quick path."""
    entries: dict = {}
    problems: list = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3 or not all(p.strip() for p in parts[:3]):
            problems.append(f"{name}: line {number} is not 'id TAB language TAB slug'; ignored")
            continue
        ident = _unescape(parts[0])
        if ident in entries:
            problems.append(f"{name}: line {number}: {ident!r} is listed twice; the first line wins")
            continue
        entries[ident] = Entry(
            parts[1].strip(),
            _unescape(parts[2].strip()),
            tuple(_unescape(p.strip()) for p in parts[3:] if p.strip()),
        )
    return entries, problems


_cells = st.text(alphabet="ab #\\\tنص\u2028 t", max_size=6)
_lines = st.lists(st.lists(_cells, min_size=0, max_size=5).map("\t".join), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_lines, st.sampled_from(["\n", "\r\n"]))
def test_quick_path_reads_as_the_general_one(lines, newline):
    text = newline.join(lines)
    register = Register.parse(text)
    entries, problems = _reference(text)
    assert register.entries == entries
    assert [tuple(e) for e in register.entries.values()] == [tuple(e) for e in entries.values()]
    assert list(register.entries) == list(entries)
    assert register.problems == problems


def test_a_written_register_reads_back():
    register = Register(
        {
            "ar/a": Entry("ar", "خبر-عاجل"),
            "en/b\tx": Entry("en", "moved", ("first\\one", "second")),
            "en/c": Entry("en", "plain"),
        }
    )
    again = Register.parse(register.dump().decode("utf-8"))
    assert again.entries == register.entries and not again.problems
