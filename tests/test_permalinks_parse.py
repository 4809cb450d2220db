"""The permalink register's reader: its quick path for plain lines reads what the general
one does, line for line (hypothesis), problems included; a register it takes as written by
``dump`` is one ``dump`` writes back byte for byte, and ``save`` leaves such a file alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.permalinks import HEADER, Entry, Register, _unescape, save


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


_written_cells = st.text(alphabet="ab #\\\tنص\u2028 t-\r\n", max_size=5) | st.text(
    alphabet="abنص-", min_size=1, max_size=4
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        _lines.map(lambda lines: HEADER + "".join(f"{line}\n" for line in lines)),
        st.dictionaries(
            _written_cells, st.tuples(_written_cells, _written_cells, st.lists(_written_cells, max_size=2))
        ).map(lambda d: Register({k: Entry(a, b, tuple(c)) for k, (a, b, c) in d.items()}).dump().decode()),
    ),
    st.sampled_from(["", "\n", "\r", "#", "\t", " ", "\u2028"]),
    st.integers(0, 400),
)
def test_a_register_taken_as_written_is_written_back_as_it_was(text, extra, at):
    for candidate in (text, text[:at] + extra + text[at:]):
        register = Register.parse(candidate)
        if register.read is not None:
            assert register.unchanged()
            assert register.dump().decode("utf-8") == candidate


def test_save_leaves_a_register_as_written_alone_and_writes_a_changed_one(tmp_path):
    path = tmp_path / "permalinks.tsv"
    register = Register({"ar/b": Entry("ar", "ب"), "ar/a": Entry("ar", "أ", ("قديم",))})
    assert save(register, path)
    again = Register.load(path)
    assert again.read is not None and again.unchanged()
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert not save(again, path)
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before
    again.entries["ar/c"] = Entry("ar", "ج")
    assert not again.unchanged()
    assert save(again, path)
    assert Register.load(path).entries == again.entries
    # Read as written, but changed on disk since: written again (as the build left it).
    third = Register.load(path)
    path.write_text(path.read_text() + "# a note\n")
    assert save(third, path)
    assert path.read_text() == third.dump().decode()
