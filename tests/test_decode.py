"""Bytes to text: BOMs, legacy Arabic code pages, UTF-16 without BOM, bad bytes, binaries."""

from __future__ import annotations

import hashlib
import json

import pytest

from conftest import shared_path
from generator.decode import decode_bytes
from generator.errors import SahifaError

ARABIC = "وزير الخارجية يبحث مع نظيره التعاون الاقتصادي\nقال المسؤولون إن الخطة تشمل عدة مراحل.\n"


@pytest.mark.parametrize(
    "encoding, expected_name",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", None),
        ("utf-32", None),
        ("cp1256", "cp1256"),
    ],
)
def test_round_trip(encoding, expected_name):
    text, name, _ = decode_bytes(ARABIC.encode(encoding))
    assert text == ARABIC
    if expected_name:
        assert name == expected_name


def test_iso_8859_6_is_not_read_as_cp1256():
    data = "افتتاح طريق جديد يربط المدينة بالمطار\n".encode("iso-8859-6")
    text, name, warnings = decode_bytes(data)
    assert text == "افتتاح طريق جديد يربط المدينة بالمطار\n"
    assert name == "iso-8859-6" and warnings


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec):
    for sample in (ARABIC, "Hello world, this is plain English text.\n"):
        text, name, _ = decode_bytes(sample.encode(codec))
        assert text == sample and name == codec


def test_few_bad_bytes_are_replaced_with_offsets():
    data = ARABIC.encode() + b"\xc0\xaf tail " + "نص عربي".encode()
    text, name, warnings = decode_bytes(data, "seeds/x.txt")
    assert name == "utf-8" and "\ufffd" in text and text.startswith("وزير")
    assert any(str(len(ARABIC.encode())) in w for w in warnings)


def test_cut_off_last_character_is_dropped():
    data = ARABIC.encode() + "ب".encode()[:1]
    text, name, warnings = decode_bytes(data)
    assert text == ARABIC and name == "utf-8"
    assert any("cut off" in w for w in warnings)


def test_latin_legacy_text():
    text, name, _ = decode_bytes("Café crème à Montréal, déjà vu.".encode("cp1252"))
    assert text == "Café crème à Montréal, déjà vu." and name == "cp1252"


def test_line_endings_and_controls_cleaned():
    text, _, _ = decode_bytes(b"a\r\nb\rc\x00d\x1b")
    assert text == "a\nb\ncd"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        b"%PDF-1.4\n" + b"\x00\x01" * 100,
        b"\x00\x00\x00\x00junk\x00\x00\x00\xff\xfe\x00\x00",
    ],
)
def test_binary_is_an_error(data):
    with pytest.raises(SahifaError) as info:
        decode_bytes(data, "seeds/bin.txt")
    assert info.value.path == "seeds/bin.txt" and "not a text file" in info.value.reason


def test_empty_bytes_decode_to_empty_text():
    assert decode_bytes(b"").text == ""


@pytest.mark.corpus
def test_badinput_seeds_decode():
    base = shared_path("badinput")
    manifest = json.loads((base / "MANIFEST.json").read_text(encoding="utf-8"))
    expected = {
        "seeds/s05-windows-1256.txt": "cp1256",
        "seeds/s06-iso-8859-6.txt": "iso-8859-6",
        "seeds/s07-utf16le-bom.txt": "utf-16-le",
        "seeds/s08-utf8-bom.txt": "utf-8-sig",
        "seeds/s04-invalid-utf8-bytes.txt": "utf-8",
        "seeds/s09-crlf.txt": "utf-8",
        "seeds/s10-lone-cr.txt": "utf-8",
    }
    for entry in manifest["files"]:
        if entry["path"] not in expected:
            continue
        data = (base / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        text, name, _ = decode_bytes(data, entry["path"])
        assert name == expected[entry["path"]], entry["path"]
        assert "\r" not in text and "\ufeff" not in text
        for want in entry.get("expect_text") or []:
            assert want in text, (entry["path"], want)
    with pytest.raises(SahifaError):
        decode_bytes((base / "seeds" / "s03-binary-png-as-txt.txt").read_bytes())
