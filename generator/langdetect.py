"""Language of an article body, from its letters and its most common words.

Input: body text (title and paragraphs, without the dateline). Output: a language code.

1. The script that owns most letters decides the family: Arabic script, Latin, kana (ja),
   Hangul (ko), Han only (zh), Cyrillic (ru), Hebrew (he), Greek (el).
2. Arabic script: Sorani letters (ە ێ ۆ ڕ ڵ) and words (لە بە کە ئەم) -> ``ckb``; Pashto
   letters (ښ ږ ځ څ ټ ډ ړ ګ ې ۍ ڼ) and words (د په او چې) -> ``ps``; Urdu-only letters
   (ٹ ڈ ڑ ں ے ہ ھ) and Urdu function words -> ``ur``; Persian letters/words (پ چ ژ گ, Persian
   yeh and kaf; و در به از که این را) -> ``fa``; else ``ar``. A stray Persian yeh or Urdu
   full stop in an agency name does not move an Arabic text, because every signal is counted
   over the whole body, and a language's own letters count only when they are frequent.
3. Latin script: the language whose function words are most frequent (en, fr, es, de, pt,
   it, tr, id); English when nothing matches.
A quoted foreign sentence rarely outweighs the body, so it does not change the result.

The codes are the detector's own; ``site_language`` maps one to a site's configured language
by its locale (``ar`` → a site's ``arz`` whose locale is ``ar_EG``).
"""

from __future__ import annotations

import functools
import re

from .languages import base_language

_SAMPLE = 30_000
_SCRIPT_PATTERNS = {
    "arabic": re.compile("[\u0620-\u064a\u0671-\u06d5\u06fa-\u06ff\u0750-\u077f]"),
    "latin": re.compile("[A-Za-z\u00c0-\u024f]"),
    "kana": re.compile("[\u3040-\u30ff]"),
    "han": re.compile("[\u4e00-\u9fff]"),
    "hangul": re.compile("[\uac00-\ud7af\u1100-\u11ff]"),
    "cyrillic": re.compile("[\u0400-\u04ff]"),
    "hebrew": re.compile("[\u05d0-\u05ea]"),
    "greek": re.compile("[\u0370-\u03ff]"),
}
_URDU_LETTERS = re.compile("[\u0679\u0688\u0691\u06ba\u06be\u06c1\u06c2\u06c3\u06d2\u06d3]")
_PERSIAN_LETTERS = re.compile("[\u067e\u0686\u0698\u06af\u06cc\u06a9]")
_OWN_LETTERS = {
    "ckb": re.compile("[\u06d5\u06ce\u06c6\u0695\u06b5]"),  # ە ێ ۆ ڕ ڵ
    "ps": re.compile("[\u069a\u0696\u0681\u0685\u067c\u0689\u0693\u06ab\u06d0\u06cd\u06bc]"),
}
_ARABIC_ONLY = re.compile("[\u0629\u064a\u0643\u0649]")  # ta marbuta, Arabic yeh/kaf, alef maqsura
_WORD = re.compile(r"[^\W\d_]+")

_FUNCTION_WORDS = {
    "ar": "في من على أن إلى التي الذي هذا هذه عن مع كان قد لا ما أو بين بعد كما وفي",
    "fa": "در به از که این را با است می برای آن هم شد یک تا نیز خود شده کرد اند بود",
    "ur": "کے کی میں ہے اور کو سے نے کہ پر ہیں یہ تھا گا کا ایک لیے بھی کر",
    "ckb": "لە بە کە ئەم ئەو بۆ لەگەڵ هەروەها دەکات کرد بوو ناو نێوان دوای",
    "ps": "د په او چې له ته دا کې یې هم دي شو وو سره پر دغه",
    "en": "the and of to in is that for was on with as by at from his are this it an be",
    "fr": "le la les des et est une du en dans pour que qui sur par au avec il a ce pas sont",
    "es": "el la los las y en que del por con una para es se al lo como",
    "de": "der die das und ist nicht mit von den zu ein eine im auf für sich dem",
    "pt": "o a os as e do da que em um uma para com não no na dos",
    "it": "il la di che e per un una del della non sono con nel gli le",
    "tr": "ve bir bu da de için ile olarak gibi daha çok ama",
    "id": "yang dan di ini itu dengan untuk dari tidak dalam akan pada",
}
_LATIN_LANGS = ("en", "fr", "es", "de", "pt", "it", "tr", "id")
_WORD_SETS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}


def detect_language(text: str, default: str = "ar") -> str:
    """Language code of ``text`` (see the module docstring); ``default`` when it has no letters."""
    sample = text[:_SAMPLE]
    counts = {name: len(p.findall(sample)) for name, p in _SCRIPT_PATTERNS.items()}
    total = sum(counts.values())
    if total == 0:
        return default
    if counts["kana"] > 0.05 * total:
        return "ja"
    script = max(counts, key=counts.__getitem__)
    if script == "arabic":
        return _arabic_script_language(sample)
    if script == "latin":
        return _latin_language(sample)
    return {"han": "zh", "hangul": "ko", "cyrillic": "ru", "hebrew": "he", "greek": "el", "kana": "ja"}[
        script
    ]


def _word_hits(words: list[str], lang: str) -> int:
    vocab = _WORD_SETS[lang]
    return sum(1 for w in words if w in vocab)


def _arabic_script_language(sample: str) -> str:
    words = _WORD.findall(sample)
    frequent = 0.01 * max(1, len(sample))
    urdu_letters = len(_URDU_LETTERS.findall(sample))
    persian_letters = len(_PERSIAN_LETTERS.findall(sample))
    arabic_letters = len(_ARABIC_ONLY.findall(sample))
    scores = {
        "ar": _word_hits(words, "ar") * 3 + arabic_letters,
        "fa": _word_hits(words, "fa") * 3 + max(0, persian_letters - urdu_letters),
        # Urdu letters are a strong signal only when they are frequent, not one stray ہ.
        "ur": _word_hits(words, "ur") * 3 + (urdu_letters if urdu_letters >= frequent else 0),
    }
    for lang, letters in _OWN_LETTERS.items():
        own = len(letters.findall(sample))
        scores[lang] = _word_hits(words, lang) * 3 + (own * 3 if own >= frequent else 0)
    order = list(scores)  # ties go to the first: Arabic
    return max(scores, key=lambda k: (scores[k], -order.index(k)))


def _latin_language(sample: str) -> str:
    words = [w.lower() for w in _WORD.findall(sample)]
    scores = {lang: _word_hits(words, lang) for lang in _LATIN_LANGS}  # ties: the first, English
    best = max(scores, key=lambda k: (scores[k], -_LATIN_LANGS.index(k)))
    return best if scores[best] > 0 else _LATIN_LANGS[0]


def site_language(detected: str, languages) -> str:
    """The site's language for a detected code: ``languages`` are the site's (code, locale)
    pairs; the one with that code, else the first whose locale's language is the detected
    one (``ar`` → ``arz`` with locale ``ar_EG``), else the detected code itself (the build
    then names the language as not configured)."""
    codes = [code for code, _ in languages]
    if detected in codes:
        return detected
    for code, locale in languages:
        if base_language(locale) == detected:
            return code
    return detected


@functools.lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """The detector's function words of every language, as ``match_key`` keys (words that
    say nothing of what a text is about)."""
    from .textnorm import match_key

    return frozenset(match_key(word) for words in _WORD_SETS.values() for word in words)
