#!/usr/bin/env python3
"""A deterministic multilingual news site for benchmarks, for Sahifa and for Hugo.

    python benchmarks/corpus.py --articles N --out DIR [--layout plain|hugo] [--seed S]

Writes N articles: half Arabic, a fifth English, a tenth each Persian, Urdu and French. About
three stories in ten exist in two to four languages and share a translation key. Each article
has a title, a date and time with a UTC offset (2015-2025), two to six tags drawn with a
Zipf-like law from 2,000 tags per language (in the language's script), an ASCII slug shared by
the versions of a story, an agency as its source, and a body of 300-900 words: paragraphs,
bold, a quotation, a list, a link, sometimes a heading.

Layouts:
  plain  DIR/content/<lang>/<slug>.md with YAML front matter (a Sahifa site once
         site.toml, templates/, static/ and locale/ are copied beside it)
  hugo   a Hugo site: DIR/config.toml (five languages, Arabic, Persian and Urdu right to
         left, tags, pagination by 10), DIR/content/<lang>/posts/<slug>.md and minimal
         layouts. Build: hugo -s DIR

The words are a small vocabulary written for this file; the text means nothing, which is all
a benchmark needs. Same arguments, same bytes: only the standard library and a seeded
``random.Random`` are used, never set or hash order.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from itertools import accumulate
from pathlib import Path

LANGS = {"ar": 0.5, "en": 0.2, "fa": 0.1, "ur": 0.1, "fr": 0.1}
RTL = {"ar", "fa", "ur"}
NAMES = {"ar": "العربية", "en": "English", "fa": "فارسی", "ur": "اردو", "fr": "Français"}
TAGS_PER_LANG = 2000
MULTI = 0.3  # share of stories told in 2-4 languages

WORDS = {
    "ar": (
        "الحكومة الوزير المدينة الشارع السوق المدرسة المستشفى الطريق المطر الشتاء الصيف "
        "الأسعار العمال الطلاب الاجتماع البرلمان الرئيس الشركة المصنع الميناء القطار المطار "
        "الكهرباء المياه الخبز القمح النفط الغاز الانتخابات المحكمة الشرطة الجامعة المكتبة "
        "المسرح الملعب الفريق المباراة الحدود القرية الجبل البحر النهر أعلن قال أكد افتتح "
        "قرر ارتفع انخفض وصل غادر بدأ انتهى جديد كبير صغير سريع عام محلي دولي اليوم أمس غدا"
    ),
    "en": (
        "government minister city street market school hospital road rain winter summer prices "
        "workers students meeting parliament president company factory port train airport "
        "electricity water bread wheat oil gas election court police university library theatre "
        "stadium team match border village mountain sea river announced said confirmed opened "
        "decided rose fell arrived left began ended new large small fast public local national "
        "today yesterday tomorrow"
    ),
    "fa": (
        "دولت وزیر شهر خیابان بازار مدرسه بیمارستان جاده باران زمستان تابستان قیمت‌ها کارگران "
        "دانشجویان نشست مجلس رئیس شرکت کارخانه بندر قطار فرودگاه برق آب نان گندم نفت گاز انتخابات "
        "دادگاه پلیس دانشگاه کتابخانه تئاتر ورزشگاه تیم مسابقه مرز روستا کوه دریا رود اعلام گفت "
        "تأیید گشود تصمیم افزایش کاهش رسید رفت آغاز پایان تازه بزرگ کوچک سریع عمومی محلی ملی امروز دیروز فردا"
    ),
    "ur": (
        "حکومت وزیر شہر سڑک بازار اسکول ہسپتال راستہ بارش سردی گرمی قیمتیں مزدور طلبہ اجلاس "
        "پارلیمان صدر کمپنی کارخانہ بندرگاہ ریل ہوائی اڈا بجلی پانی روٹی گندم تیل گیس انتخابات "
        "عدالت پولیس جامعہ کتب خانہ تھیٹر اسٹیڈیم ٹیم مقابلہ سرحد گاؤں پہاڑ سمندر دریا اعلان کہا "
        "تصدیق کھولا فیصلہ اضافہ کمی پہنچا گیا شروع ختم نیا بڑا چھوٹا تیز عوامی مقامی قومی آج کل"
    ),
    "fr": (
        "gouvernement ministre ville rue marché école hôpital route pluie hiver été prix ouvriers "
        "étudiants réunion parlement président entreprise usine port train aéroport électricité "
        "eau pain blé pétrole gaz élection tribunal police université bibliothèque théâtre stade "
        "équipe match frontière village montagne mer fleuve annoncé déclaré confirmé ouvert décidé "
        "hausse baisse arrivé parti commencé terminé nouveau grand petit rapide public local "
        "national aujourd'hui hier demain"
    ),
}
AGENCIES = ("Wire One", "Press Two", "Agency Three", "News Four", "Dispatch Five")
START = dt.datetime(2015, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=3)))
SPAN_MINUTES = int((dt.datetime(2025, 12, 31) - dt.datetime(2015, 1, 1)).total_seconds() // 60)


class Language:
    def __init__(self, code: str, rng: random.Random) -> None:
        self.code = code
        self.words = WORDS[code].split()
        tags: list[str] = []
        seen: set[str] = set()
        while len(tags) < TAGS_PER_LANG:  # two or three words: thousands of distinct tags
            tag = " ".join(rng.sample(self.words, rng.choice((2, 2, 3))))
            if tag not in seen:
                seen.add(tag)
                tags.append(tag)
        self.tags = tags
        self.weights = list(accumulate(1 / rank for rank in range(1, TAGS_PER_LANG + 1)))

    def phrase(self, rng: random.Random, low: int, high: int) -> str:
        return " ".join(rng.choice(self.words) for _ in range(rng.randint(low, high)))

    def pick_tags(self, rng: random.Random) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < rng.randint(2, 6):
            tag = rng.choices(self.tags, cum_weights=self.weights)[0]
            if tag not in chosen:
                chosen.append(tag)
        return chosen

    def body(self, rng: random.Random, link: str) -> str:
        target, parts, words = rng.randint(300, 900), [], 0
        while words < target:
            sentences = [self.phrase(rng, 8, 18) for _ in range(rng.randint(2, 5))]
            words += sum(s.count(" ") + 1 for s in sentences)
            parts.append(". ".join(sentences) + ".")
        first = parts[0].split(" ", 2)
        if len(first) == 3:
            parts[0] = f"{first[0]} **{first[1]}** {first[2]}"
        parts.insert(min(2, len(parts)), "> " + self.phrase(rng, 8, 14))
        parts.insert(min(4, len(parts)), "\n".join(f"- {self.phrase(rng, 3, 7)}" for _ in range(3)))
        parts.append(f"[{self.phrase(rng, 2, 4)}]({link})")
        if rng.random() < 0.3:
            parts.insert(len(parts) // 2, "## " + self.phrase(rng, 3, 6))
        return "\n\n".join(parts) + "\n"


def _quota(n: int) -> dict[str, int]:
    counts = {code: int(n * share) for code, share in LANGS.items()}
    counts["ar"] += n - sum(counts.values())
    return counts


def generate(n: int, seed: int) -> list[dict]:
    """The articles, in a fixed order: dicts with lang, slug, key, title, date, tags, source, body."""
    rng = random.Random(seed)
    languages = {code: Language(code, random.Random(f"{seed}-{code}")) for code in LANGS}
    left = _quota(n)
    articles: list[dict] = []
    story = 0
    while len(articles) < n:
        story += 1
        open_langs = [code for code in LANGS if left[code]]
        lead = rng.choices(open_langs, weights=[left[c] for c in open_langs])[0]
        langs = [lead]
        if rng.random() < MULTI:
            others = [c for c in open_langs if c != lead]
            langs += rng.sample(others, min(len(others), rng.randint(1, 3)))
        when = START + dt.timedelta(minutes=rng.randrange(SPAN_MINUTES))
        slug = f"story-{story:06d}"
        source = rng.choice(AGENCIES)
        for code in langs:
            if len(articles) == n:
                break
            left[code] -= 1
            lang = languages[code]
            articles.append(
                {
                    "lang": code,
                    "slug": slug,
                    "key": f"k{story:06d}",
                    "source": source,
                    "title": lang.phrase(rng, 5, 11),
                    "date": when.isoformat(timespec="seconds"),
                    "tags": lang.pick_tags(rng),
                    "body": lang.body(rng, f"https://example.org/{slug}"),
                }
            )
    return articles


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def front_matter(article: dict, hugo: bool) -> str:
    key = "translationKey" if hugo else "translation_key"
    tags = ", ".join(_yaml_text(t) for t in article["tags"])
    return (
        f"---\ntitle: {_yaml_text(article['title'])}\ndate: {article['date']}\n"
        f"tags: [{tags}]\nslug: {article['slug']}\n{key}: {article['key']}\n"
        f"source: {_yaml_text(article['source'])}\n---\n\n"
    )


HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="{{ .Site.Language.Lang }}" dir="{{ .Site.Language.LanguageDirection | default "ltr" }}">
<head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
{{ range .AllTranslations }}<link rel="alternate" hreflang="{{ .Language.Lang }}" href="{{ .Permalink }}">{{ end }}
</head>
<body><header><a href="{{ "/" | relLangURL }}">{{ .Site.Title }}</a>
{{ range .Site.Languages }}<a href="{{ "/" | relURL }}{{ .Lang }}/" lang="{{ .Lang }}">{{ .LanguageName }}</a> {{ end }}</header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
{{ .Content }}
<ul>{{ range .Params.tags }}<li><a href="{{ printf "tags/%s/" (. | urlize) | relLangURL }}">{{ . }}</a></li>{{ end }}</ul>
{{ range .Translations }}<a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Title }}</a> {{ end }}
</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p></article>{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">next</a>{{ end }}{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
""",
    "term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">next</a>{{ end }}{{ end }}
""",
}


def hugo_config() -> str:
    lines = [
        'baseURL = "https://example.org/"',
        'title = "Bench"',
        'defaultContentLanguage = "ar"',
        "defaultContentLanguageInSubdir = true",
        "paginate = 10",
        "",
        "[taxonomies]",
        'tag = "tags"',
    ]
    for weight, code in enumerate(LANGS, 1):
        lines += [
            "",
            f"[languages.{code}]",
            f'languageName = "{NAMES[code]}"',
            f"weight = {weight}",
            f'contentDir = "content/{code}"',
            f'languageDirection = "{"rtl" if code in RTL else "ltr"}"',
        ]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--layout", choices=("plain", "hugo"), default="plain")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    out, hugo = Path(args.out), args.layout == "hugo"
    if hugo:
        write(out / "config.toml", hugo_config())
        for name, text in HUGO_LAYOUTS.items():
            write(out / "layouts" / "_default" / name, text)
    for article in generate(args.articles, args.seed):
        folder = out / "content" / article["lang"] / ("posts" if hugo else "")
        write(folder / f"{article['slug']}.md", front_matter(article, hugo) + article["body"])
    print(f"wrote {args.articles} articles ({args.layout}) to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
