"""Decoding stage: raw bytes of a scraped file -> clean Unicode text.

Input: the bytes of one source file (seed or Markdown). Output: ``Decoded(text, encoding,
warnings)``; the text has been through ``textnorm.clean_text`` (NFC, ``\\n`` line ends, no
control characters or BOM).

Order of attempts (first that fits wins):
1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. known binary signatures (PNG, JPEG, GIF, PDF, ZIP, ELF ...) -> ``SahifaError``;
3. UTF-16 without a BOM, recognised by one byte lane being almost all 0x00/0x06 (Latin or
   Arabic text);
4. many NUL bytes -> ``SahifaError`` (not text);
5. strict UTF-8 (a multibyte character cut off at the very end is dropped, with a warning);
6. UTF-8 with a *few* invalid sequences replaced by U+FFFD (one warning per byte offset);
7. Windows-1256, then ISO-8859-6, accepted only when the result is mostly Arabic letters and
   has no Latin-1 letters glued to Arabic ones (the sign of the wrong one of the two);
8. Windows-1252 when the result is mostly Latin letters;
9. charset-normalizer as the last resort; if it finds nothing, ``SahifaError``.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from .errors import SahifaError
from .textnorm import clean_text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BINARY_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x7fELF", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"RIFF", "a RIFF media file"),
)
# How many invalid UTF-8 sequences still count as "a few bad bytes in a UTF-8 file".
_MAX_BAD_SEQUENCES = 64
_MIN_VALID_PER_BAD = 10
_MAX_OFFSETS_REPORTED = 5

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06fc]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
_LATIN1_LETTER = "[\u00c0-\u00ff]"
# A Latin-1 letter or sign directly touching an Arabic letter: mojibake of the wrong code page.
_GLUED_MOJIBAKE = re.compile(
    f"{_LATIN1_LETTER}[\u0621-\u064a]|[\u0621-\u064a]{_LATIN1_LETTER}|[\u0621-\u064a][\u00d7\u00f7]|[\u00d7\u00f7][\u0621-\u064a]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


class Decoded(NamedTuple):
    text: str
    encoding: str
    warnings: tuple[str, ...]


def decode_bytes(data: bytes, path: str = "<input>") -> Decoded:
    """Decode ``data`` (the bytes of ``path``) to clean text; see the module docstring.

    Raises ``SahifaError`` only for data that is not text (binary files).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise SahifaError(path, "expected bytes to decode")
    data = bytes(data)
    warnings: list[str] = []

    for bom, name in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if name == "utf-8":
                text, enc, more = _decode_utf8(body, path)
                return _finish(text, "utf-8-sig" if enc == "utf-8" else enc, warnings + more)
            text = body.decode(name, errors="replace")
            if "\ufffd" in text:
                warnings.append(f"{name} text with invalid code units replaced by U+FFFD")
            return _finish(text, name, warnings)

    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise SahifaError(path, f"not a text file (looks like {what})")

    utf16 = _sniff_utf16(data)
    if utf16:
        text = data.decode(utf16, errors="replace")
        warnings.append(f"decoded as {utf16} (no byte-order mark)")
        return _finish(text, utf16, warnings)

    nul = data.count(0)
    if nul > max(2, len(data) // 100):
        raise SahifaError(path, f"not a text file ({nul} NUL bytes)")

    text, enc, more = _decode_utf8(data, path)
    if text is not None:
        return _finish(text, enc, warnings + more)

    for codec in ("cp1256", "iso-8859-6"):
        candidate = _try_decode(data, codec)
        if candidate is not None and _looks_arabic(candidate):
            warnings.append(f"decoded as {codec} (legacy Arabic encoding, not UTF-8)")
            return _finish(candidate, codec, warnings)

    candidate = _try_decode(data, "cp1252")
    if candidate is not None and _looks_latin(candidate):
        warnings.append("decoded as cp1252 (legacy Western encoding, not UTF-8)")
        return _finish(candidate, "cp1252", warnings)

    guess = _charset_normalizer_guess(data)
    if guess is not None:
        name, candidate = guess
        if not _looks_binary(candidate):
            warnings.append(f"decoded as {name} (guessed by charset-normalizer)")
            return _finish(candidate, name, warnings)
    raise SahifaError(path, "not a text file (no text encoding fits its bytes)")


def _finish(text: str, encoding: str, warnings: list[str]) -> Decoded:
    return Decoded(clean_text(text), encoding, tuple(warnings))


def _decode_utf8(data: bytes, path: str) -> tuple[str | None, str, list[str]]:
    """Strict UTF-8, then UTF-8 with a few replacements; ``(None, ...)`` when it isn't UTF-8."""
    warnings: list[str] = []
    cut = _incomplete_tail(data)
    if cut:
        warnings.append(
            f"dropped a multibyte character cut off at the end of the file (byte offset {len(data) - cut})"
        )
        data = data[:-cut]
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    offsets = _invalid_offsets(data)
    if len(offsets) > _MAX_BAD_SEQUENCES:
        return None, "", warnings
    text = data.decode("utf-8", errors="replace")
    # Trust UTF-8 only when the valid multibyte characters far outnumber the bad spots (a
    # legacy code page file has almost no valid multibyte sequence at all).
    valid_multibyte = sum(1 for ch in text if ch > "\x7f") - text.count("\ufffd")
    if valid_multibyte < _MIN_VALID_PER_BAD * len(offsets):
        return None, "", warnings
    shown = ", ".join(str(o) for o in offsets[:_MAX_OFFSETS_REPORTED])
    more = (
        "" if len(offsets) <= _MAX_OFFSETS_REPORTED else f" and {len(offsets) - _MAX_OFFSETS_REPORTED} more"
    )
    warnings.append(
        f"{len(offsets)} invalid UTF-8 sequence(s) replaced by U+FFFD at byte offset(s) {shown}{more}"
    )
    return text, "utf-8", warnings


def _incomplete_tail(data: bytes) -> int:
    """Number of trailing bytes forming an incomplete (cut-off) UTF-8 sequence, else 0."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: how long should its sequence be?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            if back < need:
                try:
                    data[: len(data) - back].decode("utf-8")
                except UnicodeDecodeError:
                    return 0  # the rest is not clean UTF-8 either: not just a cut-off
                return back
            return 0
    return 0


def _invalid_offsets(data: bytes) -> list[int]:
    offsets: list[int] = []
    start = 0
    while start < len(data) and len(offsets) <= _MAX_BAD_SEQUENCES:
        try:
            data[start:].decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            offsets.append(start + exc.start)
            start = start + max(exc.end, exc.start + 1)
    return offsets


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _looks_arabic(text: str) -> bool:
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic < 3 or arabic < 4 * latin:
        return False
    return not _GLUED_MOJIBAKE.search(text) and not _looks_binary(text)


def _looks_latin(text: str) -> bool:
    letters = sum(1 for ch in text if ch.isalpha())
    latin = len(_LATIN_LETTER.findall(text))
    return letters > 0 and latin >= 0.9 * letters and not _looks_binary(text)


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    return len(_CONTROL.findall(text)) > max(2, len(text) // 50)


def _sniff_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for BOM-less UTF-16 text (Latin or Arabic), else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    for lane, name in ((odd, "utf-16-le"), (even, "utf-16-be")):
        high = lane.count(0x00) + lane.count(0x06)
        if high >= 0.9 * len(lane):
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                continue
            if not _looks_binary(text) and sum(ch.isalpha() for ch in text[:2048]) >= 0.3 * min(
                len(text), 2048
            ):
                return name
    return None


def _charset_normalizer_guess(data: bytes) -> tuple[str, str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional dependency
        return None
    try:
        best = from_bytes(data[:200_000]).best()
    except Exception:  # third-party heuristics: never let them crash a build
        return None
    if best is None:
        return None
    try:
        return best.encoding, data.decode(best.encoding, errors="replace")
    except (LookupError, UnicodeDecodeError):
        return None
