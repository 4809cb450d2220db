"""Alphabetical order per language, from ICU's collator (CLDR collation rules)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import icu


@lru_cache(maxsize=None)
def _collator(locale: str) -> "icu.Collator":
    return icu.Collator.createInstance(icu.Locale(locale))


def sort_key(locale: str) -> Callable[[str], bytes]:
    """A key function ordering strings as the locale's readers expect (ICU collation)."""
    collator = _collator(locale)
    return collator.getSortKey
