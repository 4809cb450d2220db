"""``python build.py new PATH``: a site folder of one's own, apart from the generator's code.

The folder gets ``site.toml`` (the chosen languages, each with defaults from CLDR and ICU: its
own name, a likely territory, the calendars its locale uses, the site's taxonomies),
``content/<lang>/`` with one example article per language (all versions of one story, so
they link to each other as translations), an empty ``seeds/``, ``theme/`` for overrides of the
shipped templates, static files and catalogues, a ``.gitignore`` and a README of its own.

The folder is made beside its final place and renamed into it at the end: an interrupted
``new`` leaves nothing half made, and an existing folder that is not empty is never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from babel import Locale, UnknownLocaleError

from .calendars import default_calendars
from .errors import SahifaError

# The example article, per language. A language without its own text gets the English one,
# marked as such in its front matter comment (the build still files it under its language).
WELCOME = {
    "en": (
        "Welcome to your news site",
        "News",
        "The desk",
        "This is an example story. Edit it, or delete it and write your own.\n\n"
        "Every Markdown file under `content/{lang}/` with a title and a date in its front matter is a story.\n\n"
        "Raw news texts dropped into `seeds/` are read too: their title, dateline, agency and date "
        "are found by the seed reader.",
    ),
    "ar": (
        "مرحباً بكم في موقعكم الإخباري",
        "أخبار",
        "التحرير",
        "هذا خبر تجريبي. عدّلوه أو احذفوه واكتبوا أخباركم.\n\n"
        "كل ملف Markdown في المجلد "
        "`content/{lang}/` وفي رأسه عنوان وتاريخ هو خبر من أخبار الموقع.\n\n"
        "وتُقرأ كذلك نصوص الأخبار الخام التي توضع في المجلد `seeds/`، فيُستخرج منها العنوان "
        "والمكان والوكالة والتاريخ.",
    ),
    "fa": (
        "به سایت خبری خود خوش آمدید",
        "خبر",
        "تحریریه",
        "این یک خبر نمونه است. آن را ویرایش یا حذف کنید و خبرهای خود را بنویسید.\n\n"
        "هر پرونده "
        "Markdown در پوشه `content/{lang}/` که در سرآغازش عنوان و تاریخ داشته باشد، یک خبر است.\n\n"
        "متن خام خبرها در پوشه `seeds/` هم خوانده می‌شود و عنوان، محل، خبرگزاری و تاریخ آن‌ها "
        "استخراج می‌شود.",
    ),
    "ur": (
        "آپ کی خبروں کی ویب سائٹ میں خوش آمدید",
        "خبریں",
        "ادارہ",
        "یہ ایک نمونے کی خبر ہے۔ اسے بدلیں یا حذف کر کے اپنی خبریں لکھیں۔\n\n"
        "فولڈر `content/{lang}/` "
        "میں ہر وہ Markdown فائل جس کے شروع میں عنوان اور تاریخ ہو، ایک خبر ہے۔\n\n"
        "فولڈر `seeds/` میں رکھی گئی خبروں کی خام عبارتیں بھی پڑھی جاتی ہیں اور ان سے عنوان، مقام، "
        "خبر رساں ادارہ اور تاریخ نکالے جاتے ہیں۔",
    ),
    "fr": (
        "Bienvenue sur votre site d'information",
        "Actualités",
        "La rédaction",
        "Ceci est un article d'exemple. Modifiez-le, ou supprimez-le et écrivez les vôtres.\n\n"
        "Chaque fichier Markdown de `content/{lang}/` dont l'en-tête donne un titre et une date "
        "est un article.\n\n"
        "Les dépêches brutes déposées dans `seeds/` sont lues aussi : leur titre, leur lieu, leur "
        "agence et leur date sont retrouvés par le lecteur de dépêches.",
    ),
}

TAXONOMIES = """\
# Ways of grouping stories, in this order on article pages and in the header; each one gets
# an index page and a page with a feed per term, in every language. The front matter fields
# that fill them, their titles and labels have defaults (sections: section, category;
# authors: author; sources: source; tags: tags, keywords).
[taxonomies.sections]
segment = "sections"

[taxonomies.authors]
segment = "authors"

[taxonomies.sources]
segment = "sources"

[taxonomies.tags]
segment = "tags"
"""

GITIGNORE = """\
# What Sahifa makes from the inputs: never commit these.
/public/
/.public.*
/.sahifa-preview/
/.sahifa-cache/
/.*.lock
# The feed fetcher's state (python build.py fetch): a database of what was fetched.
/.sahifa/
*.sqlite
*.sqlite-wal
*.sqlite-shm
"""

README = """\
# {title}

A news site made with Sahifa. Its languages: {languages}.

    python {build} --root {here} serve        # preview at http://127.0.0.1:8000/ with live reload
    python {build} --root {here}              # build the site into {here}/public/ for base_url

- `site.toml`: the site's settings; set `base_url` to the address the site is published at.
- `content/<language>/*.md`: stories in Markdown with YAML front matter (title, date,
  section, tags, author, translation_key).
- `seeds/`: raw news texts as they arrive; `python {build} --root {here} import seeds/FILE`
  turns one into an editable Markdown story.
- `theme/templates/`, `theme/static/`, `theme/locale/`: a file here replaces the shipped file
  of the same name (copy one from Sahifa's `templates/` and edit it).
- `public/` is what you deploy; `serve` previews from `.sahifa-preview/` and never touches it.
"""

THEME_README = """\
Overrides of Sahifa's shipped theme. A file here wins over the shipped file with the same
path: templates/article.html, static/css/site.css, locale/<lang>/LC_MESSAGES/messages.po (a
catalogue here needs only the messages it changes).
"""


def language_table(code: str, title: str) -> str:
    """``[languages.<code>]`` with defaults from CLDR and ICU: the language's own name, the
    likely territory of its locale, and the calendars that locale uses: its default calendar
    and the Gregorian one (``fa``: Solar Hijri, then Gregorian), the Umm al-Qura calendar
    after the Gregorian one in languages written in Arabic script whose locale counts in
    Gregorian (``ar``, ``ur``, ``ckb``: readers expect the Hijri date beside it)."""
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError) as exc:
        raise SahifaError(code, f"not a language CLDR knows ({exc})") from None
    likely = _likely(code)
    name = locale.get_display_name(locale) or code
    calendars = default_calendars(code)
    quoted = ", ".join(f'"{c}"' for c in calendars)
    babel_id = "_".join(part for part in (likely.getLanguage(), likely.getCountry()) if part)
    return (
        f"[languages.{code}]\n"
        f"name = {_toml(name)}\n"
        f'locale = "{babel_id}"\n'
        f"title = {_toml(title)}\n"
        f'description = ""\n'
        f"calendars = [{quoted}]\n"
        f'digits = "default"                 # default (the locale\'s digits), latn, arab or arabext\n'
    )


def _likely(code: str):
    from icu import Locale as IcuLocale

    return IcuLocale.addLikelySubtags(IcuLocale(code))


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if ord(c) >= 0x20 and c != "\x7f" else f"\\u{ord(c):04x}" for c in escaped) + '"'


def site_toml(title: str, languages: list[str]) -> str:
    head = (
        "# Sahifa site configuration. Unknown keys are rejected, so a typo is an error.\n"
        f"title = {_toml(title)}\n"
        'base_url = "https://example.org/"       # the address the site is published at\n'
        f'default_language = "{languages[0]}"\n'
        "default_language_at_root = false        # true: the default language's pages at / too\n"
        "page_size = 10\n"
        "publish_future = false                  # stories dated after the build are held back\n"
        'timezone = "UTC"                        # IANA zone for times written without an offset\n'
        'permalinks = "permalinks.tsv"           # each story keeps its first URL (commit this file)\n'
    )
    tables = "\n".join(language_table(code, title) for code in languages)
    return f"{head}\n{tables}\n{TAXONOMIES}"


def welcome_article(code: str, now: dt.datetime) -> str:
    title, section, author, body = WELCOME.get(code, WELCOME["en"])
    note = "" if code in WELCOME else "# An example in English: replace it with a story in this language.\n"
    return (
        "---\n"
        f"{note}"
        f"title: {_toml(title)}\n"
        f"date: {now.isoformat(timespec='minutes')}\n"
        f"section: {_toml(section)}\n"
        f"author: {_toml(author)}\n"
        "translation_key: welcome\n"
        "---\n"
        f"{body.format(lang=code)}\n"
    )


def parse_languages(text: str) -> list[str]:
    codes = [code.strip() for code in text.split(",") if code.strip()]
    if not codes:
        raise SahifaError("--languages", "give at least one language code, e.g. ar,fa,en")
    for code in codes:
        if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
            raise SahifaError("--languages", f"{code!r} is not a language code")
    if len(set(codes)) != len(codes):
        raise SahifaError("--languages", "a language is named twice")
    return codes


def shown_path(path: Path) -> str:
    """``path`` as a user would type it here: relative to the working folder when it lies
    under it, else absolute."""
    relative = os.path.relpath(path)
    return str(Path(os.path.abspath(path))) if relative.startswith("..") else relative


def new_site(
    path: Path, languages: list[str], title: str | None = None, *, build_command: str = "build.py"
) -> Path:
    """Make the site folder ``path`` (which must not exist, or be empty); returns it. The
    title defaults to the folder's name."""
    path = Path(os.path.abspath(path))
    title = title or path.name
    if path.exists() and (not path.is_dir() or path.is_symlink() or any(path.iterdir())):
        raise SahifaError(str(path), "exists and is not an empty folder; choose a new path")
    toml = site_toml(title, languages)  # every language checked before anything is written
    now = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.new-", dir=path.parent))
    try:
        (stage / "site.toml").write_text(toml, encoding="utf-8")
        for code in languages:
            folder = stage / "content" / code
            folder.mkdir(parents=True)
            (folder / "welcome.md").write_text(welcome_article(code, now), encoding="utf-8")
        (stage / "seeds").mkdir()
        (stage / "seeds" / ".gitkeep").write_text("")
        (stage / "theme").mkdir()
        (stage / "theme" / "README.txt").write_text(THEME_README, encoding="utf-8")
        (stage / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
        (stage / "README.md").write_text(
            README.format(
                title=title, languages=", ".join(languages), build=build_command, here=shown_path(path)
            ),
            encoding="utf-8",
        )
        os.chmod(stage, 0o755)
        if path.exists():
            path.rmdir()  # empty, checked above
        os.rename(stage, path)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return path
