"""Report language: a count out of a base, said the way a UN report says it, in EN/FR/ES.

"Un État sur six (11 sur 64 ayant répondu) a estimé que ..." — the words follow A/63/265
(paras. 21-24) and the UN Editorial Manual, and the exact n/N always stands beside them so a
reader can check every word against the tally. The rules, thresholds and grammar choices are
written down in docs/phrasing.md; this module implements exactly that table.
Pure functions, standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from migq._phrasing_grammar import (
    BASE_KINDS,
    DETERMINERS,
    NO_BASE,
    NOUNS,
    TEMPLATES,
    Noun,
    figures,
    inflect,
    negate,
    number_words,
)

__all__ = [
    "LANGS", "RULES", "Noun", "NOUNS", "BASE_KINDS", "Phrase", "spell_number", "quantifier",
    "subject_phrase", "sentence", "format_share", "format_count_of", "inflect", "unit_fraction",
]

LANGS = ("en", "fr", "es")

# --- thresholds (docs/phrasing.md, "The rules") ---------------------------------------------
SMALL_BASE = 10  # below this many replies, proportions mislead: say the count
ONLY_MAX_COUNT = 3  # "only three States" — a handful ...
ONLY_MAX_SHARE = 0.10  # ... that is also a small share
ALMOST_ALL_MIN = 0.90
MOST_MIN = 0.60
ALMOST_HALF_MIN = 0.45
FRACTION_MIN_BASE = 20  # "one in six" needs a base where a rate means something
FRACTION_REL_TOL = 0.05  # |share * k - 1| <= 5 %: 11/64 * 6 = 1.03 -> "one State in six"
FRACTION_DENOMINATORS = tuple(range(3, 11))  # halves have their own rules


def unit_fraction(count: int, base: int) -> int | None:
    """The k in 3..10 whose 1/k is nearest to count/base, if within tolerance, else None."""
    if base < FRACTION_MIN_BASE or count < 2:
        return None
    share = count / base
    k = min(FRACTION_DENOMINATORS, key=lambda d: abs(share * d - 1))
    return k if abs(share * k - 1) <= FRACTION_REL_TOL else None


# Tried in order; the first rule whose test holds names the phrase. (count, base, share).
RULES: tuple[tuple[str, object], ...] = (
    ("none", lambda c, b, p: c == 0),
    ("all", lambda c, b, p: c == b and b >= 2),
    ("count", lambda c, b, p: b < SMALL_BASE),
    ("only", lambda c, b, p: c <= ONLY_MAX_COUNT and p < ONLY_MAX_SHARE),
    ("almost_all", lambda c, b, p: p >= ALMOST_ALL_MIN),
    ("most", lambda c, b, p: p >= MOST_MIN),
    ("majority", lambda c, b, p: 2 * c > b),
    ("half", lambda c, b, p: 2 * c == b),
    ("almost_half", lambda c, b, p: p >= ALMOST_HALF_MIN),
    ("fraction", lambda c, b, p: unit_fraction(c, b) is not None),
    ("more_than", lambda c, b, p: 4 * c > b),
    ("count", lambda c, b, p: True),
)

# Which phrases take a singular verb ("Un État sur six a estimé", "Aucun État n'a").
_SINGULAR_TEMPLATES = {"none", "one_in", "count_1", "only_1"}


@dataclass(frozen=True)
class Phrase:
    """A quantifier as the report writes it, with the numbers it stands for.

    ``text`` is lower-case running text ("one State in six"); ``kind`` a stable machine key
    (see RULES, plus 'no_base'); ``exact`` is "11/64"; ``share`` is count/base or None when
    nobody replied; ``plural`` says whether the verb that follows agrees in the plural.
    """

    text: str
    kind: str
    exact: str
    share: float | None
    plural: bool
    lang: str


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}")


def _check_counts(count: int, base: int) -> None:
    for name, value in (("count", count), ("base", base)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
        if value < 0:
            raise ValueError(f"{name} must not be negative (got {value})")
    if count > base:
        raise ValueError(
            f"count {count} is larger than base {base}: more States cannot hold a position "
            "than were counted in the base; check which base the tally used"
        )


def spell_number(
    n: int, lang: str = "en", gender: str = "m", *, words: bool = False, before_noun: bool = False
) -> str:
    """``n`` as UN running text writes it: words under 10, figures from 10 ("trois", "64").

    ``words=True`` spells out any number up to 999 (a sentence never starts with a figure);
    beyond that figures are returned. ``gender`` ('m'/'f') picks "un/une", "uno/una",
    "doscientos/doscientas"; ``before_noun`` gives the Spanish short forms "un", "veintiún".
    """
    _check_lang(lang)
    if gender not in ("m", "f"):
        raise ValueError(f"gender must be 'm' or 'f', not {gender!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"spell_number needs a non-negative whole number, not {n!r}")
    if n >= 1000 or (n >= 10 and not words):
        return figures(n, lang)
    return number_words(n, lang, gender, before_noun)


def _noun(subject: str | Mapping[str, Noun], lang: str) -> Noun:
    if isinstance(subject, Mapping):
        if lang not in subject:
            raise ValueError(f"subject has no noun for language {lang!r}")
        return subject[lang]
    try:
        return NOUNS[subject][lang]
    except KeyError:
        raise ValueError(
            f"unknown subject {subject!r}; use one of {', '.join(NOUNS)} or pass {{lang: Noun}}"
        ) from None


def _rule(count: int, base: int) -> str:
    share = count / base
    return next(kind for kind, test in RULES if test(count, base, share))


def _template_key(kind: str, count: int, base: int) -> str:
    if kind in ("count", "only") and count == 1:
        return f"{kind}_1"
    if kind == "fraction":
        k = unit_fraction(count, base)
        if k >= 5:
            return "one_in"
        name = "third" if k == 3 else "quarter"
        return name if count * k == base else f"about_{name}"
    if kind == "more_than":
        return "more_than_third" if 3 * count > base else "more_than_quarter"
    return kind


def _render(
    count: int, base: int, lang: str, noun: Noun, start: bool, base_kind: str = "respondents"
) -> Phrase:
    exact = f"{count}/{base}"
    if base == 0:
        if base_kind not in NO_BASE:
            raise ValueError(f"unknown base_kind {base_kind!r}; use one of {', '.join(NO_BASE)}")
        text = NO_BASE[base_kind][lang].format(**_slots(noun, lang, 0, start=False))
        text = text[0].upper() + text[1:] if start else text
        return Phrase(text, "no_base", exact, None, False, lang)
    kind = _rule(count, base)
    key = _template_key(kind, count, base)
    slots = _slots(noun, lang, count, start=start and key in ("count", "count_1"))
    if key == "one_in":
        slots["k"] = number_words(unit_fraction(count, base), lang, "m", False)
    text = TEMPLATES[lang][key].format(**slots)
    if start:
        text = text[0].upper() + text[1:]
    return Phrase(text, kind, exact, count / base, key not in _SINGULAR_TEMPLATES, lang)


def _slots(noun: Noun, lang: str, n: int, start: bool) -> dict[str, str]:
    slots = dict(DETERMINERS[lang][noun.gender])
    slots.update(sg=noun.sg, pl=noun.pl)
    slots["n"] = spell_number(n, lang, noun.gender, words=start, before_noun=True)
    return slots


def quantifier(
    count: int, base: int, lang: str = "en", subject: str | Mapping[str, Noun] = "State"
) -> Phrase:
    """The quantifier for ``count`` out of ``base``: "almost all States", "only three States".

    ``base`` 0 gives kind 'no_base' ("no State has replied yet"), never a division error;
    ``count > base`` or negative numbers raise ValueError.
    """
    _check_lang(lang)
    _check_counts(count, base)
    return _render(count, base, lang, _noun(subject, lang), start=False)


def format_share(share: float, lang: str = "en", digits: int = 0) -> str:
    """A share in 0..1 as a percentage: "17%" (en), "17 %" (fr, es: no-break space, comma).

    Rounded half up; a non-zero share never shows as 0 ("<1%") nor a partial one as 100.
    """
    _check_lang(lang)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ValueError(f"share must be a number between 0 and 1, not {share!r}")
    quantum = Decimal(1).scaleb(-digits)
    pct = (Decimal(str(share)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    prefix = ""
    if pct == 0 and share > 0:
        prefix, pct = "<", quantum
    elif pct == 100 and share < 1:
        prefix, pct = ">", 100 - quantum
    number = f"{pct:f}"
    if lang == "en":
        return f"{prefix}{number}%"
    return f"{prefix}{number.replace('.', ',')}\u00a0%"


def format_count_of(n: int, base: int, lang: str = "en") -> str:
    """The exact count beside the words, in figures: "11 of 64", "11 sur 64", "11 de 64"."""
    _check_lang(lang)
    _check_counts(n, base)
    word = {"en": "of", "fr": "sur", "es": "de"}[lang]
    return f"{figures(n, lang)} {word} {figures(base, lang)}"


def _base_words(base_kind: str, base: int, noun: Noun, lang: str) -> str:
    if base_kind not in BASE_KINDS:
        raise ValueError(f"unknown base_kind {base_kind!r}; use one of {', '.join(BASE_KINDS)}")
    sg, pl = BASE_KINDS[base_kind][lang]
    return (sg if base == 1 else pl).format(
        noun=noun.sg if base == 1 else noun.pl,
        e="e" if noun.gender == "f" else "",
        o="a" if noun.gender == "f" else "o",
    )


def _subject(count, base, lang, subject, base_kind, start) -> tuple[Phrase, str]:
    _check_lang(lang)
    _check_counts(count, base)
    noun = _noun(subject, lang)
    phrase = _render(count, base, lang, noun, start, base_kind)
    if base == 0:
        return phrase, phrase.text
    where = f"{format_count_of(count, base, lang)} {_base_words(base_kind, base, noun, lang)}"
    return phrase, f"{phrase.text} ({where})"


def subject_phrase(
    count: int,
    base: int,
    lang: str = "en",
    subject: str | Mapping[str, Noun] = "State",
    base_kind: str = "respondents",
    start: bool = True,
) -> str:
    """The subject of a report sentence with its exact count: "One State in six (11 of 64
    respondents)". ``start`` capitalises and spells out a leading number; with base 0 the
    whole no-reply clause is returned ("No State has replied yet")."""
    return _subject(count, base, lang, subject, base_kind, start)[1]


Predicate = str | Mapping[str, str | Mapping[str, str]]


def _predicate(predicate: Predicate, lang: str, plural: bool, negative: bool) -> str:
    forms = predicate
    if isinstance(predicate, Mapping) and not {"sg", "pl"} & set(predicate):
        if lang not in predicate:
            raise ValueError(
                f"predicate has no text in {lang!r} (it has {', '.join(predicate) or 'none'}); "
                "add that language to the position's labels"
            )
        forms = predicate[lang]
    if isinstance(forms, str):
        text = inflect(forms, lang, plural)
    else:
        if negative and forms.get("neg"):
            return forms["neg"]
        wanted, other = ("pl", "sg") if plural else ("sg", "pl")
        if forms.get(wanted):
            text = forms[wanted]
        elif forms.get(other):
            text = inflect(forms[other], lang, plural)
        else:
            raise ValueError("predicate forms need an 'sg' or a 'pl' text")
    return negate(text, lang) if negative else text


def sentence(
    count: int,
    base: int,
    predicate: Predicate,
    lang: str = "en",
    subject: str | Mapping[str, Noun] = "State",
    base_kind: str = "respondents",
) -> str:
    """A whole report sentence: "One State in six (11 of 64 respondents) considered that ...".

    ``predicate`` is the verb phrase that follows the subject, either one text, or per
    language {'en': ..., 'fr': ...}, where each entry is a text or {'sg': ..., 'pl': ...,
    'neg': ...}. A missing number form is derived with :func:`inflect`; 'neg' is the French
    form used after "aucun" (else "ne"/"n'" is put before the verb). ``base`` 0 gives
    "No State has replied yet." whatever the predicate.
    """
    phrase, head = _subject(count, base, lang, subject, base_kind, start=True)
    if base == 0:
        return head + "."
    verb = _predicate(predicate, lang, phrase.plural, negative=phrase.kind == "none").strip()
    end = "" if verb.endswith((".", "!", "?")) else "."
    return f"{head} {verb}{end}"
