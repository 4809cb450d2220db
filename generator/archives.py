"""Archive index helpers: months grouped under their year, newest year first."""

from __future__ import annotations

from typing import Any, Iterable

from .config import LanguageConfig
from .i18n import numbering_system, to_digits


def year_groups(months: Iterable[dict[str, Any]], lang: LanguageConfig) -> list[dict[str, Any]]:
    """``months`` (each with ``year``, newest first) -> ``[{year, label, count, months}]``.

    The year label uses the language's digits without grouping separators (2022, ۱۴۰۳).
    """
    system = numbering_system(lang.locale, lang.digits)
    groups: list[dict[str, Any]] = []
    for month in months:
        if not groups or groups[-1]["year"] != month["year"]:
            groups.append(
                {
                    "year": month["year"],
                    "label": to_digits(str(month["year"]), system),
                    "count": 0,
                    "months": [],
                }
            )
        groups[-1]["months"].append(month)
        groups[-1]["count"] += month["count"]
    return groups
