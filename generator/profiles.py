"""Term profiles: a data file per author (or per source, per section ...) with names, a short
biography and a photo, shown on the term's page.

A taxonomy with ``profiles = "authors"`` reads ``content/authors/<id>.yml``::

    name: {ar: رنا الخطيب, en: Rana Khatib}   # or one name for every language
    bio: {ar: ..., en: ...}                    # or one text; optional
    photo: rana-khatib.png                     # beside the file or under content/images/; optional
    photo_alt: {ar: ..., en: ...}              # optional (default: the name)

Its names also link the term across languages, as a ``[term_translations]`` entry with the
file's id would (an entry in ``site.toml`` wins). A broken file is a warning naming it; the
site builds without that profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from .config import SiteConfig
from .errors import SahifaError
from .fields import load_yaml
from .model import Image
from .paths import walk

MAX_PROFILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Profile:
    id: str
    taxonomy: str
    path: str
    """Site-relative path of the file (``content/authors/rana-khatib.yml``)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Language code -> name ("*": every language)."""
    bios: Mapping[str, str] = field(default_factory=dict)
    photo_alts: Mapping[str, str] = field(default_factory=dict)
    photo: Image | None = None

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("*", "")

    def bio(self, lang: str) -> str:
        return self.bios.get(lang) or self.bios.get("*", "")

    def photo_alt(self, lang: str) -> str:
        return self.photo_alts.get(lang) or self.photo_alts.get("*") or self.name(lang)


def _per_language(value, key: str, rel: str, codes, warnings: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"*": value.strip()} if value.strip() else {}
    if isinstance(value, dict):
        result = {}
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                warnings.append(f"{rel}: {key}.{lang}: expected text; ignored")
            elif str(lang) not in codes:
                warnings.append(f"{rel}: {key}.{lang}: language {str(lang)!r} is not configured; ignored")
            else:
                result[str(lang)] = text.strip()
        return result
    warnings.append(f"{rel}: {key}: expected text or a table of texts by language; ignored")
    return {}


def read_profile(path: Path, taxonomy: str, config: SiteConfig, warnings: list[str]) -> Profile | None:
    rel = path.relative_to(config.root).as_posix()
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            warnings.append(f"{rel}: larger than {MAX_PROFILE_BYTES // 1024} KB; skipped")
            return None
        # The loader of front matter and sidecars: safe, no alias bombs, and any failure
        # (bad syntax, ``!!int x``, nesting too deep) a SahifaError naming the file.
        data = load_yaml(path.read_text(encoding="utf-8"), rel, "profile")
    except (OSError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        warnings.append(f"{rel}: cannot be read ({reason}); skipped")
        return None
    except SahifaError as exc:
        warnings.append(f"{exc}; skipped" if not str(exc).endswith("skipped") else str(exc))
        return None
    if not data:
        warnings.append(f"{rel}: expected a table (name, bio, photo); skipped")
        return None
    unknown = sorted(set(map(str, data)) - {"name", "bio", "photo", "photo_alt"})
    if unknown:
        warnings.append(f"{rel}: unknown field(s) {', '.join(unknown)}; ignored")
    codes = set(config.language_codes)
    names = _per_language(data.get("name"), "name", rel, codes, warnings)
    if not names:
        warnings.append(f"{rel}: name: missing; skipped")
        return None
    photo = data.get("photo")
    image = None
    if photo is not None:
        if isinstance(photo, str) and photo.strip():
            # Found beside the file or under content/images/ (``images.Pictures``).
            image = Image(src=photo.strip(), alt="")
        else:
            warnings.append(f"{rel}: photo: expected a file name; ignored")
    return Profile(
        id=path.stem,
        taxonomy=taxonomy,
        path=rel,
        names=names,
        bios=_per_language(data.get("bio"), "bio", rel, codes, warnings),
        photo_alts=_per_language(data.get("photo_alt"), "photo_alt", rel, codes, warnings),
        photo=image,
    )


def load_profiles(config: SiteConfig) -> tuple[dict[str, dict[str, Profile]], list[str]]:
    """Per taxonomy with a ``profiles`` folder, its profiles by id; and the warnings met."""
    found: dict[str, dict[str, Profile]] = {}
    warnings: list[str] = []
    for taxonomy in config.taxonomies:
        if not taxonomy.profiles:
            continue
        folder = config.content_dir / taxonomy.profiles
        profiles = found.setdefault(taxonomy.name, {})
        if not folder.is_dir():
            continue
        for path in walk(folder, (".yml", ".yaml"), config.root, warnings, recursive=False):
            if path.is_symlink() or not path.is_file():
                continue
            profile = read_profile(path, taxonomy.name, config, warnings)
            if profile is not None:
                profiles[profile.id] = profile
    return found, warnings


def with_profile_names(config: SiteConfig, profiles: dict[str, dict[str, Profile]]) -> SiteConfig:
    """``config`` with each profile's names as a term translation under its id (unless
    ``[term_translations]`` names that id itself): an author's stories in Arabic and English
    meet on one author across languages."""
    added = {
        profile.id: {lang: name for lang, name in profile.names.items() if lang != "*"}
        for per_taxonomy in profiles.values()
        for profile in per_taxonomy.values()
        if profile.id not in config.tag_translations
    }
    added = {key: names for key, names in added.items() if len(names) > 0}
    if not added:
        return config
    return replace(config, tag_translations={**added, **config.tag_translations})


def profile_of(term, profiles: dict[str, dict[str, Profile]]) -> Profile | None:
    """The profile of a term: by its cross-language id, its slug, or one of its names."""
    per_taxonomy = profiles.get(term.taxonomy)
    if not per_taxonomy:
        return None
    for key in (term.entity, term.slug):
        if key and key in per_taxonomy:
            return per_taxonomy[key]
    for profile in per_taxonomy.values():
        if term.name in profile.names.values():
            return profile
    return None


__all__ = ["Profile", "load_profiles", "profile_of", "with_profile_names"]
