"""Render stage: the Jinja2 environment of one language, and ``render(template, context)``.

One environment per language (Hugo's "one site per language"): gettext catalogue, date filters
and number formatting are bound to that language when the environment is made, so templates
never pass a locale around and nothing global is switched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from functools import lru_cache, partial
from typing import Any

import jinja2
from markupsafe import Markup

from . import calendars
from .config import LanguageConfig, SiteConfig
from .i18n import format_number, isolated_list, numbering_system, to_digits, translations_for
from .images import ImageCache, Pictures, picture_html
from .languages import font_preloads
from .urls import Urls


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates kept in memory and shared by the environments of one build: the
    five languages render the same templates with the same options, so each template is
    compiled once, in the parent, before the render workers are forked. ``store`` may come
    from the build cache (compiled by an earlier build): Jinja checks each entry against the
    template's source and compiles it again when the source changed (``dumped`` is then
    true)."""

    def __init__(self, store: dict[str, bytes] | None = None) -> None:
        self.store: dict[str, bytes] = store if store is not None else {}
        self.dumped = False

    def load_bytecode(self, bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()
        self.dumped = True


@lru_cache(maxsize=64)
def lang_attrs(lang: LanguageConfig) -> Markup:
    """The attributes of an element in ``lang``: its code, direction and the theme's font
    family for it (``[data-font]`` in the stylesheet), and its own line height if it has one.
    Asked by every link of every language switcher: made once per language."""
    attrs = Markup('lang="{}" dir="{}" data-font="{}"').format(lang.code, lang.direction, lang.font)
    if lang.line_height:
        attrs += Markup(' style="--line: {}"').format(f"{lang.line_height:g}")
    return attrs


def make_environment(
    config: SiteConfig,
    lang: LanguageConfig,
    *,
    bytecode: SharedBytecode | None = None,
    pictures: Pictures | None = None,
    catalogues: dict | None = None,
) -> jinja2.Environment:
    """One language's environment. ``pictures``: the build's images (``images.Pictures``),
    shown through ``lead_picture(article)``, ``article_body(article)`` and ``picture(...)``;
    ``catalogues``: compiled catalogues kept by the build cache (``i18n.translations_for``)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in config.template_dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        # One environment serves one build; templates do not change under it, so there is
        # no need to stat every template file on every render.
        auto_reload=False,
        bytecode_cache=bytecode,
    )
    translations = translations_for(config.locale_dirs, lang.code, catalogues)
    env.install_gettext_translations(translations, newstyle=True)
    _memoize_gettext(env)
    urls = Urls(config)
    system = numbering_system(lang.locale, lang.digits)

    def calendar_date(value: dt.date, calendar: str, style: str = "long") -> str:
        return calendars.language_date(value, lang, calendar, style)

    def archive_href(value: dt.date, calendar: str) -> str:
        year, month = calendars.archive_key(value, calendar)
        return urls.archive_month(lang.code, calendar, year, month)

    languages = {other.code: other for other in config.languages}

    def term_path(ref) -> str:
        return urls.term(ref.lang, ref.taxonomy, ref.slug)

    def time_of_day(moment: dt.datetime) -> str:
        """``14:30`` in the language's digits (the site's time zone; 24-hour clock)."""
        return to_digits(moment.strftime("%H:%M"), system)

    env.globals["term_path"] = term_path
    env.globals["taxonomies"] = config.taxonomies
    middle = lang.babel_locale.list_patterns["standard"]["middle"]
    env.globals["list_sep"] = middle.replace("{0}", "").replace("{1}", "")
    env.filters["calendar_date"] = calendar_date
    env.filters["time_of_day"] = time_of_day
    env.globals.update(
        lang=lang,
        urls=urls,
        href=urls.href,
        absolute=urls.absolute,
        static=urls.static,
        archive_href=archive_href,
        site=config,
        number=partial(format_number, locale=lang.locale, system=system),
        lang_name=lambda code: languages[code].name,
        lang_attrs=lambda code: lang_attrs(languages[code] if isinstance(code, str) else code),
        isolated_list=partial(isolated_list, locale=lang.locale),
        font_preloads=font_preloads,
    )
    pictures = pictures if pictures is not None else Pictures(config, ImageCache(None))
    env.globals.update(
        lead_picture=pictures.lead,
        article_body=lambda article: pictures.body(article, urls.href),
        picture=lambda processed, alt, sizes, eager=False: picture_html(
            processed, alt, urls.href, sizes=sizes, eager=eager
        ),
    )
    env.globals["nav_terms"] = ()  # the header's sections: set by the build (``pages.nav_terms``)
    env.globals.update({name: _shared_macro(env, name, template) for name, template in MACROS.items()})
    env.globals["card"] = _memoized_card(env)
    env.globals["once"] = _rendered_once(env)
    return env


def _memoize_gettext(env: jinja2.Environment) -> None:
    """``_()``/``gettext()`` without placeholders give the same Markup for the same message
    on every page of a language: translate each message once. (Jinja's ``_`` is an alias
    that looks up ``gettext`` and calls it through the context again on every use.)"""
    translate = env.globals["gettext"]
    memo: dict[str, Any] = {}

    @jinja2.pass_context
    def gettext(context, message: str, **variables):
        if variables or not context.eval_ctx.autoescape:
            return translate(context, message, **variables)
        text = memo.get(message)
        if text is None:
            text = memo[message] = translate(context, message)
        return text

    env.globals.update(gettext=gettext, _=gettext)


def _rendered_once(env: jinja2.Environment):
    """``once(template)``: a partial that depends on the language only (the site's header and
    footer), rendered once per language and reused on every page. The partial sees the
    environment's globals and nothing of the page: a page variable in it is an error."""
    cache: dict[str, Markup] = {}

    def once(name: str) -> Markup:
        html = cache.get(name)
        if html is None:
            html = cache[name] = Markup(env.get_template(name).render({}))
        return html

    return once


MACROS = {
    "dates": "partials/dates.html",
    "figure": "partials/figure.html",
    "thumb": "partials/figure.html",
    "pagination": "partials/pagination.html",
}
"""The theme's macros every template has without importing them: name -> the partial that
defines it (a theme's own partial of that name wins, as for any template). An import in a
template costs on every page (Jinja makes the imported module again, or compares the
globals to find it made): 1 ms in 6 of a list page's render."""


def _shared_macro(env: jinja2.Environment, name: str, template: str):
    """The macro ``name`` of ``template``, its module made once per environment (it sees the
    environment's globals, nothing of a page)."""
    module = None

    def macro(*args, **kwargs):
        nonlocal module
        if module is None:
            module = env.get_template(template).make_module({})
        return getattr(module, name)(*args, **kwargs)

    return macro


def _memoized_card(env: jinja2.Environment):
    """``card(article)``: an article's teaser, rendered once per build and reused on every
    home, tag and archive page that lists it (most list pages repeat the same cards).

    With a ``keyer`` (``card.use(keyer, kept)``: ``pagekeys.PageKeys.article_key``) cards are
    also found by what they show, in ``kept`` (cards an earlier build rendered in the same
    environment: ``pipeline`` keeps them in the build cache), and the ones rendered now are
    collected for the next build (``card.take_fresh()``)."""
    cache: dict[str, Any] = {}
    raw: dict[str, bytes] = {}
    """Cards found in the store and not yet asked for by a template, as the store keeps them
    (UTF-8): a page made from its frame (``splice``) takes them as they are."""
    render_card = _shared_macro(env, "card", "partials/card.html")
    state: dict[str, Any] = {"keyer": None, "kept": {}, "fresh": {}}

    def card(article) -> Any:
        html = cache.get(article.path)
        if html is None:
            found = raw.pop(article.path, None)
            if found is None:
                keyer = state["keyer"]
                key = keyer(article) if keyer is not None else None
                found = state["kept"].get(key) if key is not None else None
            if found is None:
                html = render_card(article)
                if key is not None:
                    state["fresh"][key] = str(html).encode("utf-8")  # half an Arabic str's size
            else:
                html = Markup(found.decode("utf-8"))
            cache[article.path] = html
        return html

    def utf8(articles) -> list[bytes]:
        """The cards of ``articles`` as UTF-8 bytes (those found in the store, not decoded)."""
        return [raw.get(a.path) or str(card(a)).encode("utf-8") for a in articles]

    def prefetch(articles) -> None:
        """Find the kept cards of ``articles`` (a page's, or a slice of pages', before they
        are rendered) in one question to the store instead of one per card."""
        keyer, kept = state["keyer"], state["kept"]
        many = getattr(kept, "get_many", None)
        if keyer is None or many is None:
            return
        wanted = {
            keyer(article): article.path
            for article in articles
            if article.path not in cache and article.path not in raw
        }
        if len(wanted) > 1:
            for key, html in many(list(wanted)).items():
                raw[wanted[key]] = html

    def use(keyer, kept: dict) -> None:
        state.update(keyer=keyer, kept=kept, fresh={})

    def take_fresh() -> dict:
        fresh, state["fresh"] = state["fresh"], {}
        return fresh

    def forget(path: str) -> None:  # the preview server's quick update
        cache.pop(path, None)
        raw.pop(path, None)

    card.forget = forget
    card.utf8 = utf8
    card.use = use
    card.prefetch = prefetch
    card.take_fresh = take_fresh
    return card


def load_all(envs: dict[str, jinja2.Environment]) -> None:
    """Load every template of every environment now (see ``SharedBytecode``)."""
    for env in envs.values():
        for name in env.list_templates(extensions=["html", "xml"]):
            env.get_template(name)


def render(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    return env.get_template(template).render(context)


# ---- list pages' frames ------------------------------------------------------------------
# A list page is mostly its river of cards: when a story is published, every page of the
# lists that show it moves by one story and is otherwise what it was. The page without its
# cards (its frame) is rendered once, with stand-ins for the stories of ``items``, and kept
# (``cache.CardStore``, by ``pagekeys.PageKeys.frame_key``); a page whose frame is kept is
# its frame with the stories' cards put in place, without rendering the template.
#
# That is the page the template would render only if the template uses those stories in no
# other way than placing ``card(story)`` as it is. The stand-ins make sure of it: any other
# use of one (an attribute, a comparison, printing it, a filter on its card) stops the frame's
# render, and the page is rendered as always. What the stand-ins cannot see is a card's
# output captured and transformed as text (a ``{% filter %}`` or ``{% set %}`` block, a call
# block, a filter applied to a macro's output): environments whose templates have any of
# these render their list pages as always (``frames_possible``). The page's own term is
# given with its list of stories sealed the same way (the frame's key leaves that list out).

_MARK = "\x00Fr%daMe\x00"
_MARKS = re.compile("\x00Fr([0-9]+)aMe\x00")
"""A card's place in a frame (letters of both cases: a filter that changes case shows)."""


class _Peeked(BaseException):
    """A frame's render used a stand-in otherwise than through ``card``. A BaseException,
    so that no ``except Exception`` on the way turns it into output."""


class _Watch:
    __slots__ = ("peeked",)

    def __init__(self) -> None:
        self.peeked = False


class _Untouchable:
    """Stands for something a frame's render must not use: any use marks the ``watch`` and
    stops the render."""

    __slots__ = ("_watch_",)

    def __init__(self, watch: _Watch) -> None:
        object.__setattr__(self, "_watch_", watch)

    def __getattribute__(self, name: str):
        object.__getattribute__(self, "_watch_").peeked = True
        raise _Peeked(name)

    def _peek(self, *args, **kwargs):
        object.__getattribute__(self, "_watch_").peeked = True
        raise _Peeked()

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _peek
    __str__ = __repr__ = __format__ = __iter__ = __len__ = __getitem__ = __contains__ = _peek
    __setattr__ = __delattr__ = _peek


class _StandIn(_Untouchable):
    """The ``index``-th story of a frame's ``items``: ``card`` places its mark; anything
    else done with it stops the render (it is not callable, as a story is not)."""

    __slots__ = ("_index_",)

    def __init__(self, index: int, watch: _Watch) -> None:
        super().__init__(watch)
        object.__setattr__(self, "_index_", index)


class _SealedStories(_Untouchable):
    """The page's term's stories in a frame's render: not to be used (the frame's key
    leaves them out; the page shows its own through ``items``)."""

    __slots__ = ()
    __bool__ = __reversed__ = __call__ = _Untouchable._peek


class _Mark(Markup):
    """The card of a stand-in: output as it is, or concatenated; any method of the string
    (a filter, a test, a slice) stops the render."""

    __slots__ = ()

    def __html__(self) -> Markup:
        return Markup(str.__str__(self))


def _refuse(self, *args, **kwargs):
    raise _Peeked()


_KEEP = {"__html__", "__new__", "__init__", "__getattribute__", "__class__", "__getnewargs__"}
_KEEP |= {"__init_subclass__", "__subclasshook__", "__reduce__", "__reduce_ex__", "__sizeof__", "__dir__"}
for _name in set(dir(str)) | set(dir(Markup)):
    if _name not in _KEEP and callable(getattr(Markup, _name, None)):
        setattr(_Mark, _name, _refuse)
del _name

_CAPTURES = (jinja2.nodes.FilterBlock, jinja2.nodes.AssignBlock, jinja2.nodes.CallBlock)


def frames_possible(env: jinja2.Environment) -> bool:
    """No template of ``env`` can take a card's output as text and change it: no filter or
    call block, no block ``set``, no filter or test with a call in it (a macro's output, a
    card given to a filter). Every file of the template folders is read (a partial may have
    any name), and one that is not a template means no frames; the build keeps the answer
    in the frame store (``pipeline._frames_possible``)."""
    try:
        sources = [(name, env.loader.get_source(env, name)[0]) for name in env.list_templates()]
        return not any(_captures(env.parse(text, name)) for name, text in sources)
    except (jinja2.TemplateError, UnicodeDecodeError, OSError):
        return False


def _captures(tree: jinja2.nodes.Template) -> bool:
    """A node that could take a card's output as text: a filter or call block, a block
    ``set``, or a filter or test with a call anywhere in it (its subject or its arguments)."""
    if any(True for _ in tree.find_all(_CAPTURES)):
        return True
    nodes = tree.find_all((jinja2.nodes.Filter, jinja2.nodes.Test))
    return any(any(True for _ in node.find_all(jinja2.nodes.Call)) for node in nodes)


def render_frame(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str | None:
    """The page ``template`` renders from ``context`` with its ``items`` (and its term's
    stories) replaced by stand-ins, each story's card a mark (``splice`` puts the cards in);
    None when the template used a stand-in otherwise (render the page as always)."""
    from .model import Term

    watch = _Watch()
    items = context.get("items") or ()
    stand_ins = tuple(_StandIn(i, watch) for i in range(len(items)))
    framed = dict(context, items=stand_ins)
    term = context.get("term")
    if isinstance(term, Term):
        framed["term"] = dataclasses.replace(term, articles=_SealedStories(watch))
    card = env.globals["card"]

    def mark(article):
        if type(article) is _StandIn:
            return _Mark(_MARK % object.__getattribute__(article, "_index_"))
        return card(article)

    env.globals["card"] = mark
    try:
        text = env.get_template(template).render(framed)
    except _Peeked:
        return None
    finally:
        env.globals["card"] = card
    if watch.peeked:
        return None
    if text.count("\x00") != 2 * sum(1 for _ in _MARKS.finditer(text)):
        return None  # a mark cut or changed on the way
    return text


_MARKS_UTF8 = re.compile(_MARKS.pattern.encode())


def splice(frame: bytes, cards: list[bytes]) -> bytes:
    """A frame (``render_frame``, UTF-8) with each mark replaced by its story's card."""
    parts = _MARKS_UTF8.split(frame)
    for i in range(1, len(parts), 2):
        parts[i] = cards[int(parts[i])]
    return b"".join(parts)
