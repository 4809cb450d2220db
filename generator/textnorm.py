"""Text normalisation shared by the readers, tags, slugs and search.

Two different jobs, kept apart on purpose:
- ``clean_text`` repairs what is *displayed*: NFC, line endings, stray control characters.
  It keeps ZWNJ (Persian needs it) and keeps letters as written (ک stays ک in Urdu).
- ``match_key`` builds a *comparison key*: spelling variants of one word (hamza/alef forms,
  tatweel, tashkeel, Persian/Urdu yeh and kaf, ta marbuta) get the same key. Keys are never
  shown to readers.
"""

from __future__ import annotations

import re
import unicodedata

# ---- character classes: the one home of each --------------------------------------------
# Inclusive code point ranges. The regular expressions below, the slugs (urls.py), the seed
# reader, the terminal escaping of messages (report.py) and the browser's search normaliser
# (meta.json, read by static/js/search.js) are all made from these.
DIACRITIC_RANGES = (
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06DC),
    (0x06DF, 0x06E8),
    (0x06EA, 0x06ED),
)
"""Arabic-script diacritics: harakat, Quranic marks, superscript alef (not the symbols ۞ ۩)."""
TATWEEL_RANGES = ((0x0640, 0x0640),)
"""The kashida that stretches a word (كـتـاب)."""
BIDI_CONTROL_RANGES = ((0x202A, 0x202E), (0x2066, 0x2069))
"""Bidi embeddings, overrides and isolates: they reorder what a reader sees (Trojan Source)."""
BIDI_MARK_RANGES = ((0x200E, 0x200F), (0x061C, 0x061C))
"""LRM, RLM, ALM: invisible marks that only set a direction (kept in displayed values)."""
INVISIBLE_RANGES = ((0x200B, 0x200B), (0x200D, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF), (0x00AD, 0x00AD))
"""Zero-width space, ZWJ, word joiner, BOM, soft hyphen (not ZWNJ: Persian spelling needs it)."""
ZWNJ = "\u200c"


def char_class(*groups: tuple[tuple[int, int], ...]) -> str:
    """The body of a regular-expression character class for groups of ranges."""
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for group in groups
        for a, b in group
    )


def search_ignored_ranges() -> list[list[int]]:
    """What search keys leave out (``match_key``), as ranges for the browser's normaliser."""
    groups = (DIACRITIC_RANGES, TATWEEL_RANGES, BIDI_CONTROL_RANGES, BIDI_MARK_RANGES, INVISIBLE_RANGES)
    return sorted([a, b] for group in groups for a, b in group)


_TASHKEEL = re.compile(f"[{char_class(DIACRITIC_RANGES)}]")
_TATWEEL = chr(TATWEEL_RANGES[0][0])
ARABIC_MARKS = re.compile(f"[{char_class(DIACRITIC_RANGES, TATWEEL_RANGES)}]")
"""Diacritics and tatweel: what a slug or a key leaves out of an Arabic-script word."""
BIDI_CONTROLS = re.compile(f"[{char_class(BIDI_CONTROL_RANGES)}]")
_INVISIBLE = re.compile(f"[{char_class(INVISIBLE_RANGES, BIDI_MARK_RANGES)}]")
INVISIBLE_AND_BIDI = re.compile(f"[{char_class(INVISIBLE_RANGES, BIDI_MARK_RANGES, BIDI_CONTROL_RANGES)}]")
"""Every invisible format character a line of text may carry, ZWNJ apart."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")

_LETTER_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ۍ": "ي",
        "ئ": "ي",
        "ے": "ي",
        "ک": "ك",
        "ڪ": "ك",
        "ة": "ه",
        "ۀ": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "ە": "ه",
        "ؤ": "و",
        "ٹ": "ت",
    }
)
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def clean_text(text: str) -> str:
    """Normalise text for display: NFC, ``\\n`` line ends, no control characters or BOM."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text).replace("\ufeff", "")
    return unicodedata.normalize("NFC", text)


def strip_bidi_controls(text: str) -> str:
    """Remove bidi embedding/override/isolate characters (they can reorder what a reader sees)."""
    return BIDI_CONTROLS.sub("", text)


def match_key(text: str, *, keep_zwnj: bool = False) -> str:
    """A comparison key: variants of one spelling map to one key.

    NFKC, casefold, no tashkeel/tatweel/bidi or zero-width characters, alef/hamza forms to
    bare alef, Persian/Urdu yeh and kaf to Arabic ones, ta marbuta to heh, ASCII digits,
    runs of white space folded to one space.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _TASHKEEL.sub("", text).replace(_TATWEEL, "")
    text = BIDI_CONTROLS.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = text.replace("\u200c", "\u200c" if keep_zwnj else " ")
    text = text.translate(_LETTER_FOLD).translate(_DIGITS)
    return " ".join(text.split())


# ---- the one value sanitiser ------------------------------------------------------------
# Characters removed from every one-line text value (title, tag, summary, city, caption ...),
# whichever reader it came from: controls (C0, C1, DEL), lone surrogates, noncharacters,
# bidi embeddings, overrides and isolates (they can reorder the text around a value; the
# marks LRM, RLM and ALM stay: a leading RLM is how a title that starts with a Latin word
# keeps its right-to-left direction in a ``dir=auto`` element), and the default-ignorable and blank-rendering
# characters that make a value look empty or like another one: zero-width space, word
# joiner and invisible operators, BOM, soft hyphen, combining grapheme joiner, Hangul
# fillers, Mongolian vowel separator, braille blank, the object replacement character,
# interlinear annotation marks, musical formatting marks, and language tags.
# Kept: ZWNJ and ZWJ (Persian, Urdu and Indic spelling, emoji sequences), the bidi marks, and
# variation selectors (emoji presentation, ideographic variants).
_VALUE_DROP = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\u202a-\u202e\u2066-\u2069"
    "\u200b\u2060-\u2064\u206a-\u206f\ufeff\u00ad\u034f\u115f\u1160\u3164\uffa0\u180e"
    "\u17b4\u17b5\u2800\ufffc\ufff9-\ufffb\U0001d173-\U0001d17a]"
)
# Tag characters: kept only inside an emoji flag tag sequence (🏴 + tags + cancel tag, e.g. the
# flag of Scotland); variation selectors 17-256 (U+E0100-E01EF) are kept.
_TAGS = re.compile(
    "\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f|[\U000e0000-\U000e00ff\U000e01f0-\U000e0fff]"
)
_VISIBLE_CATEGORIES = ("L", "N", "S", "P")


def clean_value(text: str) -> str:
    """A one-line text value as it may be shown: NFC, the characters listed above removed,
    combining marks that have no base letter removed, white space collapsed to one space."""
    text = _VALUE_DROP.sub("", text.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    if "\U000e0000" <= max(text, default=" "):
        text = _TAGS.sub(lambda m: m.group() if len(m.group()) > 1 else "", text)
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return _drop_lone_marks(text)


def _drop_lone_marks(text: str) -> str:
    """Combining marks at the start of the value or after a space belong to no letter: a
    value made of them renders as nothing (or as marks stacked on the page's other text).
    ``text`` has its white space collapsed to single spaces (``clean_value``), so only the
    first characters of its words need a look."""
    category = unicodedata.category
    words = text.split(" ")
    changed = False
    for i, word in enumerate(words):
        if word and category(word[0])[0] == "M":
            n = 1
            while n < len(word) and category(word[n])[0] == "M":
                n += 1
            words[i] = word[n:]
            changed = True
    return (" ".join(words) if changed else text).strip()


def is_blank(text: str) -> bool:
    """True when a value shows nothing a reader can see: no letter, digit, symbol or
    punctuation (only spaces, format characters or marks)."""
    return not any(unicodedata.category(ch)[0] in _VISIBLE_CATEGORIES for ch in text)


def fold_key(text: str) -> str:
    """Two names that case-insensitive file systems (macOS, Windows) or a deploy through
    one treat as one: ``σοφος``/``σοφοσ``, ``STRASSE``/``straße``, ``ı``/``i`` after folding.
    Used to keep slugs unique."""
    if text.isascii():
        return text.lower()  # what the two normalisations and the case folding make of it
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.replace("ı", "i").replace("i\u0307", "i")


def same_text(a: str, b: str) -> bool:
    """True when two lines are the same text up to spelling variants (cheap length test first)."""
    if abs(len(a) - len(b)) > 8 + max(len(a), len(b)) // 5:
        return False
    return match_key(a) == match_key(b)
