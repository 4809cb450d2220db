"""``site.toml`` is checked against one declaration (``generator/schema.py``): each bad value
is an error naming the file, the key, what was found and what is expected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from generator.config import parse_config
from generator.errors import SahifaError
from generator.schema import reference


def with_(path: tuple[str, ...], value) -> dict:
    data = {"languages": {"ar": {"locale": "ar_SY"}, "en": {}}, "taxonomies": {"tags": {}}}
    table = data
    for key in path[:-1]:
        table = table.setdefault(key, {})
    table[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, found, expected",
    [
        (("search",), "false", 'found the text "false"', "expected true or false"),
        (("publish_future",), 1, "found a whole number 1", "expected true or false"),
        (("page_size",), "ten", 'found the text "ten"', "expected a whole number from 1 to 1000"),
        (("page_size",), 0, "found a whole number 0", "from 1 to 1000"),
        (("page_size",), 2.5, "found a number 2.5", "a whole number"),
        (("title",), 5, "found a whole number 5", "expected a text"),
        (("base_url",), "example.org", "found 'example.org'", "absolute http(s) URL"),
        (("base_url",), "javascript:alert(1)//", "javascript", "absolute http(s) URL"),
        (("timezone",), "Mars/Olympus", '"Mars/Olympus"', "IANA zone"),
        (("article_time_limit",), -1, "found a whole number -1", "from 0 to 3600"),
        (("permalinks",), "../outside.tsv", "'../outside.tsv'", "inside the site folder"),
        (("default_language",), "de", '"de"', "one of the languages (ar, en)"),
        (("nonsense",), 1, "unknown setting(s) nonsense", "known here: title, base_url"),
        (("languages", "ar", "digits"), "latin", 'found the text "latin"', '"latn"'),
        (("languages", "ar", "calendars"), ["hijri"], "found a list", '"islamic-umalqura"'),
        (("languages", "ar", "calendars"), [], "found a list", "a list of"),
        (("languages", "ar", "arabic_months"), "syrian", '"syrian"', '"levantine"'),
        (("languages", "ar", "locale"), "xx_!!", '"xx_!!"', "not a CLDR locale"),
        (("languages", "ar", "weight"), "1", 'found the text "1"', "a whole number"),
        (("languages", "ar", "colour"), "red", "unknown setting(s) colour", "known here: name, locale"),
        (("taxonomies", "tags", "feeds"), "yes", 'found the text "yes"', "true or false"),
        (("taxonomies", "tags", "max_terms"), 5000, "5000", "from 1 to 1000"),
        (("taxonomies", "tags", "show"), "sidebar", '"sidebar"', '"header", "footer", "none"'),
        (("taxonomies", "tags", "fields"), "tag", 'found the text "tag"', "a list of texts"),
        (("taxonomies", "tags", "segment"), "a/b", "'a/b'", "URL segment"),
    ],
)
def test_each_bad_value_names_the_key(path, value, found, expected):
    with pytest.raises(SahifaError) as info:
        parse_config(with_(path, value), Path("/site"), Path("/site/site.toml"))
    message = str(info.value)
    assert message.startswith("/site/site.toml: ")
    assert path[-1] in message and found in message and expected in message, message
    if len(path) > 1 and path[0] != "search":
        assert f"[{path[0]}.{path[1]}]" in message, message  # the table too


def test_good_values_of_every_kind():
    config = parse_config(
        with_(("search",), False) | {"page_size": 25, "article_time_limit": 2.5, "permalinks": False},
        Path("/site"),
    )
    assert config.search is False and config.page_size == 25 and config.article_time_limit == 2.5
    assert config.permalinks == ""


def test_the_reference_in_docs_is_made_from_the_schema():
    assert (REPO / "docs/configuration.md").read_text(encoding="utf-8") == reference() + "\n", (
        "run: python -m generator.schema > docs/configuration.md"
    )


def test_a_bad_site_toml_is_exit_2_with_one_line_and_no_traceback(tmp_path):
    (tmp_path / "site.toml").write_text('search = "false"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert 'site.toml: search: found the text "false", expected true or false' in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "public").exists()
