"""Automatic tags for seeds: places, organisations and people named in an article.

Input: paragraphs, title and language. Output: display forms of tags, most salient first.

Sources of candidates (no free n-gram soup, so verbs and stop-words cannot become tags):
- countries (CLDR territory names from Babel, in the article's language and in English) and
  cities (CLDR time-zone exemplar cities), matched through ``tag_key`` and, in Arabic script,
  with proclitics stripped (و ف ب ل ك ال وال بال لل) and cheap nisba forms (الكازاخستاني);
- organisations: phrases opened by a head word (منظمة, وزارة, حزب, Ministry, سازمان ...),
  as long as the phrase keeps repeating in the article;
- people: the words after a title (الرئيس, رئيس الوزراء, President ...), with the surname's
  later mentions counted;
- the short topic before a colon in the title (``توكاييف: ...``, ``Iran: ...``);
- Latin script: repeated capitalised phrases.
Spelling variants (توكاييف / توكايف) are merged through ``tag_key`` and an edit-distance-1
check, and a tag is shown in its most common written form.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from .textnorm import match_key

_MAX_TAGS = 8
_TOKEN = re.compile(r"[^\W\d_][\w\u200c'’\-]*")
_DOUBLED = re.compile(r"([اويى])\1+")
_ARABIC = re.compile("[\u0600-\u06ff]")
_PROCLITICS = ("وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "ال", "و", "ف", "ب", "ل", "ك")
_NISBA = ("يون", "يين", "يه", "ي")
_ORG_HEADS = {
    "منظمة",
    "منظمه",
    "وزارة",
    "وزاره",
    "حزب",
    "حركة",
    "حركه",
    "جامعة",
    "جامعه",
    "هيئة",
    "هيئه",
    "اتحاد",
    "شركة",
    "شركه",
    "وكالة",
    "وكاله",
    "مجلس",
    "جمعية",
    "جمعيه",
    "مؤسسة",
    "مؤسسه",
    "سازمان",
    "وزارت",
    "حزب",
    "شرکت",
    "دانشگاه",
    "خبرگزاری",
    "تنظیم",
    "جماعت",
    "تحریک",
    "Organization",
    "Organisation",
    "Ministry",
    "Party",
    "University",
    "Council",
    "Agency",
    "Organisation",
    "Ministère",
    "Parti",
    "Université",
    "Conseil",
    "Agence",
}
_PERSON_TITLES = {
    "الرئيس",
    "رئيس",
    "الملك",
    "الأمير",
    "الشيخ",
    "وزير",
    "الوزير",
    "المستشار",
    "السيد",
    "السيدة",
    "الدكتور",
    "رئيسة",
    "آقای",
    "خانم",
    "صدر",
    "وزیراعظم",
    "جناب",
    "President",
    "Prime",
    "Minister",
    "King",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Président",
    "M.",
}
_STOP = set(
    """
في من على إلى عن مع أن إن أنه كان قد لا ما أو ثم بعد قبل بين خلال حول عند منذ التي الذي الذين هذا هذه
ذلك تلك هو هي هم نحن كما حيث لكن بل إذا اليوم أمس غدا وقال قال وأضاف أعلن أمام كلمة العاصمة الجديد
the a an of in on at to for and or but with by from as is was were are be this that it its his her
de la le les des du et en un une pour par sur au aux dans
در به از که این را با است و برای آن یک تا کے کی میں ہے اور کو سے نے
""".split()
)
_STOP_KEYS = frozenset(match_key(w) for w in _STOP)
_ADJ_SUFFIX = re.compile(r"^ال.+(?:ي|ية|يه)$")


@functools.lru_cache(maxsize=65536)
def tag_key(tag: str) -> str:
    """The key that makes spelling variants of one tag equal.

    ``match_key`` (hamza/alef forms, yeh/kaf variants, ta marbuta, tashkeel, tatweel, case),
    then runs of the same long-vowel letter collapsed (توكاييف = توكايف), then quotes and
    edge punctuation dropped. A leading ال is kept: it is part of many names (المغرب).
    """
    key = match_key(tag)
    key = _DOUBLED.sub(r"\1", key)
    return key.strip(" \"'«»“”‘’()[]-–—.,،:؛")


@functools.lru_cache(maxsize=65536)
def _place_key(name: str) -> str:
    """Exact-spelling key for place names (no letter collapsing: خود is not Khovd)."""
    return match_key(name).strip(" \"'«»“”‘’()[]-–—.,،:؛")


@functools.lru_cache(maxsize=65536)
def _variants(token_key: str, arabic: bool) -> tuple[str, ...]:
    out = [token_key]
    if not arabic:
        return tuple(out)
    for clitic in _PROCLITICS:
        if token_key.startswith(clitic) and len(token_key) - len(clitic) >= 3:
            out.append(token_key[len(clitic) :])
            if clitic.endswith("ل") and clitic != "ل":
                out.append("ال" + token_key[len(clitic) :])
    for base in list(out):
        for suffix in _NISBA:
            if base.endswith(suffix) and len(base) - len(suffix) >= 4:
                out.append(base[: -len(suffix)])
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _place_table(lang: str) -> dict[str, str]:
    """_place_key of a country/city name (also without a leading ال) -> display name."""
    import babel

    table: dict[str, str] = {}
    for code in (lang, "en"):
        try:
            locale = babel.Locale.parse(code)
        except (ValueError, babel.UnknownLocaleError):
            continue
        names: list[str] = []
        for terr, name in locale.territories.items():
            if len(terr) == 2 and terr.isalpha() and terr not in {"ZZ", "QO", "EZ", "XA", "XB", "EU", "UN"}:
                names.append(name)
        for zone in locale.time_zones.values():
            city = zone.get("city") if hasattr(zone, "get") else None
            if city:
                names.append(city)
        for name in names:
            if "(" in name or len(name) < 3:
                continue
            key = _place_key(name)
            table.setdefault(key, name)
            if key.startswith("ال") and len(key) > 4:
                table.setdefault(key[2:], name)
    return table


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@functools.lru_cache(maxsize=16)
def _first_words(lang: str) -> dict[str, int]:
    """First word of each place name -> the most words a name starting with it has."""
    firsts: dict[str, int] = {}
    for key in _place_table(lang):
        words = key.split(" ")
        firsts[words[0]] = max(firsts.get(words[0], 0), len(words))
    return firsts


def _places(texts: list[str], lang: str, arabic: bool) -> Counter:
    table = _place_table(lang)
    firsts = _first_words(lang)
    found: Counter = Counter()
    for text in texts:
        tokens = [_place_key(t) for t in _tokens(text)]
        i = 0
        while i < len(tokens):
            longest = max((firsts.get(v, 0) for v in _variants(tokens[i], arabic)), default=0)
            for n in range(min(longest, len(tokens) - i), 0, -1):
                rest = " ".join(tokens[i + 1 : i + n])
                hit = None
                for first in _variants(tokens[i], arabic):
                    phrase = (first + " " + rest).strip()
                    if phrase in table and phrase not in _STOP_KEYS:
                        hit = table[phrase]
                        break
                if hit:
                    found[hit] += 1
                    i += n - 1
                    break
            i += 1
    return found


def _strip_clitic(word: str, arabic: bool, heads: set[str]) -> str | None:
    for cand in [word] + (
        [word[len(c) :] for c in ("و", "ف", "ب", "ل", "ك", "لل") if word.startswith(c)] if arabic else []
    ):
        if cand in heads:
            return cand
    return None


def _phrases_after(texts: list[str], heads: set[str], arabic: bool, max_words: int) -> list[list[str]]:
    """Token lists that follow a head word, cut at punctuation."""
    out = []
    for text in texts:
        for clause in re.split(r"[.,،؛;:!?؟()«»\"\n]", text):
            words = clause.split()
            for i, word in enumerate(words):
                head = _strip_clitic(word, arabic, heads)
                if head:
                    out.append([head] + words[i + 1 : i + 1 + max_words])
    return out


def _organisations(texts: list[str], arabic: bool) -> Counter:
    phrases = _phrases_after(texts, _ORG_HEADS, arabic, 4)
    grams: Counter = Counter()
    shown: dict[str, Counter] = {}
    for words in phrases:
        for n in range(2, len(words) + 1):
            gram = words[:n]
            if match_key(gram[-1]) in _STOP_KEYS:
                break
            key = tag_key(" ".join(gram))
            grams[key] += 1
            shown.setdefault(key, Counter())[" ".join(gram)] += 1
    result: Counter = Counter()
    for key, count in grams.items():
        if count < 2:
            continue
        longer = [k for k, c in grams.items() if k.startswith(key + " ") and c == count]
        if longer:
            continue
        result[shown[key].most_common(1)[0][0]] = count
    return result


def _people(texts: list[str], arabic: bool) -> list[list[str]]:
    names = []
    for words in _phrases_after(texts, _PERSON_TITLES, arabic, 5):
        rest = words[1:]
        if arabic:
            while rest and (_ADJ_SUFFIX.match(rest[0]) or rest[0] in ("الوزراء", "الحكومة", "الجمهورية")):
                rest = rest[1:]
        else:
            while rest and rest[0] in ("Minister", "President", "of"):
                rest = rest[1:]
        name = []
        for word in rest[:3]:
            if (
                match_key(word) in _STOP_KEYS
                or (arabic and word.startswith("ال"))
                or (not arabic and not word[:1].isupper())
            ):
                break
            name.append(word)
        if name:
            names.append(name)
    return names


def _latin_phrases(texts: list[str]) -> Counter:
    found: Counter = Counter()
    pattern = re.compile(
        r"(?<![.!?]\s)\b([A-Z][\w’'\-]+(?:\s+(?:of|de|al|bin|van|von)?\s*[A-Z][\w’'\-]+){1,3})"
    )
    for text in texts:
        for m in pattern.finditer(text):
            found[re.sub(r"['’]s$", "", m.group(1))] += 1
    return Counter({k: v for k, v in found.items() if v >= 2 and match_key(k.split()[0]) not in _STOP_KEYS})


def _close(a: str, b: str) -> bool:
    """Edit distance at most 1 between two keys of at least 5 characters."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def extract_tags(paragraphs, title: str, lang: str) -> tuple[str, ...]:
    """Tags of an article (display forms), see the module docstring. Never raises on text."""
    texts = [title or ""] + [p for p in paragraphs if isinstance(p, str)]
    arabic = bool(_ARABIC.search(" ".join(texts)[:2000]))
    title_key = tag_key(title or "")
    scores: Counter = Counter()
    forms: dict[str, Counter] = {}

    def add(display: str, count: int, bonus: int = 0) -> None:
        display = re.sub(r"['’]s$", "", display.strip())
        key = tag_key(display)
        if not key or key in _STOP_KEYS:
            return
        for known in list(forms):
            if _close(known, key):
                key = known
                break
        forms.setdefault(key, Counter())[display] += count
        scores[key] += count + bonus + (3 if key in title_key else 0)

    for name, count in _places(texts, lang, arabic).items():
        add(name, count)
    for name, count in _organisations(texts, arabic).items():
        add(name, count)
    full_names = _people(texts, arabic)
    all_tokens = Counter(tag_key(t) for text in texts for t in _tokens(text))
    surname_forms = Counter(t for text in texts for t in _tokens(text))
    for name in full_names:
        surname = tag_key(name[-1])
        mentions = sum(c for k, c in all_tokens.items() if _close(k, surname))
        written = [w for w in surname_forms if _close(tag_key(w), surname)]
        best = max(written, key=surname_forms.__getitem__) if written else name[-1]
        add(best, mentions)
    if title and ":" in title[:40]:
        topic = title.split(":", 1)[0].strip()
        if 0 < len(topic.split()) <= 3 and not topic.lower().startswith(("category", "تصنيف")):
            add(topic, 1, bonus=1)
    if not arabic:
        for phrase, count in _latin_phrases(texts).items():
            add(phrase, count)
    ranked = [k for k, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if s >= 2]
    # A tag contained in a longer tag of the same article (Suu Kyi / Aung San Suu Kyi) goes.
    ranked = [k for k in ranked if not any(o != k and f" {k} " in f" {o} " for o in ranked)]
    return tuple(forms[k].most_common(1)[0][0] for k in ranked[:_MAX_TAGS])
