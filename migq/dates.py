"""Long-form dates as United Nations documents write them, day first.

One function for the forms, the cover e-mails and reminders, the report and the map:

    en  1 May 2008        30 April 2008
    fr  1er mai 2008      30 avril 2008
    es  1 de mayo de 2008 30 de abril de 2008

French writes the first day of a month as the ordinal "1er"; English and Spanish write every
day as a plain number. A language without its own month names (ar, ru, zh, ...) gets the English
date, as the forms fall back to their English wording. No imports beyond the standard library,
so modules that must stay light (the map) can use it.
"""

from __future__ import annotations

from datetime import date

__all__ = ["MONTHS", "FALLBACK_LANG", "long_date"]

FALLBACK_LANG = "en"

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}


def long_date(day: date | None, lang: str) -> str:
    """'30 April 2008' / '30 avril 2008' (but '1er mai 2008') / '30 de abril de 2008'.

    ``day`` may be a ``date`` or a ``datetime`` (the time is ignored); ``None`` (no deadline set)
    gives "". A language other than en, fr or es is written in English.
    """
    if day is None:
        return ""
    if lang not in MONTHS:
        lang = FALLBACK_LANG
    month = MONTHS[lang][day.month - 1]
    if lang == "es":
        return f"{day.day} de {month} de {day.year}"
    if lang == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"
