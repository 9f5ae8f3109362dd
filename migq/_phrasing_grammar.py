"""The word lists and small grammar rules behind migq.phrasing (EN/FR/ES).

Kept apart so phrasing.py reads as the rules table and this file as the dictionary. Every
choice here is explained in docs/phrasing.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Noun:
    """What is being counted, in one language: singular, plural, grammatical gender."""

    sg: str
    pl: str
    gender: str = "m"


NOUNS: dict[str, dict[str, Noun]] = {
    "State": {"en": Noun("State", "States"), "fr": Noun("État", "États"),
              "es": Noun("Estado", "Estados")},
    "Member State": {"en": Noun("Member State", "Member States"),
                     "fr": Noun("État Membre", "États Membres"),
                     "es": Noun("Estado Miembro", "Estados Miembros")},
    "Government": {"en": Noun("Government", "Governments"),
                   "fr": Noun("gouvernement", "gouvernements"),
                   "es": Noun("Gobierno", "Gobiernos")},
    "country": {"en": Noun("country", "countries"), "fr": Noun("pays", "pays"),
                "es": Noun("país", "países")},
}

# Words that agree with the noun's gender, as template slots.
DETERMINERS: dict[str, dict[str, dict[str, str]]] = {
    "en": {g: {"none": "no", "e": "", "o": ""} for g in ("m", "f")},
    "fr": {"m": {"aucun": "aucun", "un": "un", "seul": "seul", "tous": "tous les", "e": ""},
           "f": {"aucun": "aucune", "un": "une", "seul": "seule", "tous": "toutes les", "e": "e"}},
    "es": {"m": {"ningun": "ningún", "uno": "uno", "un": "un", "todos": "todos los",
                 "los": "los", "o": "o"},
           "f": {"ningun": "ninguna", "uno": "una", "un": "una", "todos": "todas las",
                 "los": "las", "o": "a"}},
}

# One template per phrase; {n} is the count, {k} the denominator, {sg}/{pl} the noun.
TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "none": "{none} {sg}", "all": "all {pl}", "almost_all": "almost all {pl}",
        "most": "most {pl}", "majority": "a majority of {pl}", "half": "half of the {pl}",
        "almost_half": "almost half of the {pl}", "third": "a third of the {pl}",
        "about_third": "about a third of the {pl}", "quarter": "a quarter of the {pl}",
        "about_quarter": "about a quarter of the {pl}", "one_in": "one {sg} in {k}",
        "more_than_third": "more than a third of the {pl}",
        "more_than_quarter": "more than a quarter of the {pl}",
        "count": "{n} {pl}", "count_1": "one {sg}", "only": "only {n} {pl}",
        "only_1": "only one {sg}",
    },
    "fr": {
        "none": "{aucun} {sg}", "all": "{tous} {pl}", "almost_all": "la quasi-totalité des {pl}",
        "most": "la plupart des {pl}", "majority": "la majorité des {pl}",
        "half": "la moitié des {pl}", "almost_half": "près de la moitié des {pl}",
        "third": "un tiers des {pl}", "about_third": "environ un tiers des {pl}",
        "quarter": "un quart des {pl}", "about_quarter": "environ un quart des {pl}",
        "one_in": "{un} {sg} sur {k}", "more_than_third": "plus d'un tiers des {pl}",
        "more_than_quarter": "plus d'un quart des {pl}", "count": "{n} {pl}",
        "count_1": "{un} {sg}", "only": "seulement {n} {pl}", "only_1": "{un} {seul} {sg}",
    },
    "es": {
        "none": "{ningun} {sg}", "all": "{todos} {pl}", "almost_all": "casi {todos} {pl}",
        "most": "la mayor parte de {los} {pl}", "majority": "la mayoría de {los} {pl}",
        "half": "la mitad de {los} {pl}", "almost_half": "casi la mitad de {los} {pl}",
        "third": "un tercio de {los} {pl}", "about_third": "alrededor de un tercio de {los} {pl}",
        "quarter": "una cuarta parte de {los} {pl}",
        "about_quarter": "alrededor de una cuarta parte de {los} {pl}",
        "one_in": "{uno} de cada {k} {pl}", "more_than_third": "más de un tercio de {los} {pl}",
        "more_than_quarter": "más de una cuarta parte de {los} {pl}", "count": "{n} {pl}",
        "count_1": "{un} {sg}", "only": "solo {n} {pl}", "only_1": "solo {un} {sg}",
    },
}

# What the base counts, after "11 of 64": (text when the base is 1, text otherwise).
BASE_KINDS: dict[str, dict[str, tuple[str, str]]] = {
    "respondents": {"en": ("respondent", "respondents"),
                    "fr": ("ayant répondu", "ayant répondu"),
                    "es": ("que respondió", "que respondieron")},
    "answered": {"en": ("answering the question", "answering the question"),
                 "fr": ("ayant répondu à la question", "ayant répondu à la question"),
                 "es": ("que respondió a la pregunta", "que respondieron a la pregunta")},
    "recipients": {"en": ("{noun} consulted", "{noun} consulted"),
                   "fr": ("{noun} consulté{e}", "{noun} consulté{e}s"),
                   "es": ("{noun} consultad{o}", "{noun} consultad{o}s")},
}

# The whole clause when the base is empty: nothing to divide by, so say so.
NO_BASE: dict[str, dict[str, str]] = {
    "respondents": {"en": "{none} {sg} has replied yet",
                    "fr": "{aucun} {sg} n'a encore répondu",
                    "es": "{ningun} {sg} ha respondido todavía"},
    "answered": {"en": "{none} {sg} has answered this question yet",
                 "fr": "{aucun} {sg} n'a encore répondu à cette question",
                 "es": "{ningun} {sg} ha respondido todavía a esta pregunta"},
    "recipients": {"en": "{none} {sg} has been consulted yet",
                   "fr": "{aucun} {sg} n'a encore été consulté{e}",
                   "es": "{ningun} {sg} ha sido consultad{o} todavía"},
}

# --- numbers ------------------------------------------------------------------------------
_EN = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
       "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_FR = ("zéro un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze "
       "quinze seize dix-sept dix-huit dix-neuf").split()
_FR_TENS = ("", "", "vingt", "trente", "quarante", "cinquante", "soixante")
_ES = ("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce "
       "quince dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
       "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve").split()
_ES_TENS = ("", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta",
            "noventa")
_ES_HUNDREDS = ("", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos",
                "seiscientos", "setecientos", "ochocientos", "novecientos")


def _en(n: int) -> str:
    if n < 20:
        return _EN[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN[unit]}" if unit else "")
    hundreds, rest = divmod(n, 100)
    return f"{_EN[hundreds]} hundred" + (f" and {_en(rest)}" if rest else "")  # UN (British) "and"


def _fr(n: int) -> str:
    if n < 20:
        return _FR[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        if tens in (7, 9):  # soixante-dix, quatre-vingt-onze: counted on from the ten below
            head = "soixante" if tens == 7 else "quatre-vingt"
            return "soixante et onze" if n == 71 else f"{head}-{_FR[10 + unit]}"
        if tens == 8:
            return "quatre-vingts" if unit == 0 else f"quatre-vingt-{_FR[unit]}"
        return _FR_TENS[tens] + ("" if unit == 0 else " et un" if unit == 1 else f"-{_FR[unit]}")
    hundreds, rest = divmod(n, 100)
    head = "cent" if hundreds == 1 else f"{_FR[hundreds]} cent" + ("" if rest else "s")
    return head + (f" {_fr(rest)}" if rest else "")


def _es(n: int) -> str:
    if n < 30:
        return _ES[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _ES_TENS[tens] + (f" y {_ES[unit]}" if unit else "")
    if n == 100:
        return "cien"
    hundreds, rest = divmod(n, 100)
    return _ES_HUNDREDS[hundreds] + (f" {_es(rest)}" if rest else "")


def number_words(n: int, lang: str, gender: str, before_noun: bool) -> str:
    """0..999 in words, agreeing in gender (fr, es) and apocopated before a noun (es)."""
    if lang == "en":
        return _en(n)
    if lang == "fr":
        words = _fr(n)
        return words + "e" if gender == "f" and words.endswith("un") else words
    words = _es(n)
    if gender == "f":
        words = words.replace("ientos", "ientas")
        return words[:-1] + "a" if words.endswith("uno") else words
    if before_noun and words.endswith("veintiuno"):
        return words[:-3] + "ún"
    if before_noun and words.endswith("uno"):
        return words[:-1]
    return words


def figures(n: int, lang: str) -> str:
    """Digits with the language's grouping: 1,000 (en); 10 000 with a no-break space (fr, es),
    four-digit numbers ungrouped as French and Spanish usage has it."""
    if lang == "en":
        return f"{n:,}"
    return str(n) if n < 10000 else f"{n:,}".replace(",", "\u00a0")


# --- verb agreement -----------------------------------------------------------------------
# (singular, plural) finite verbs recognised as the first word of a predicate.
_VERB_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("has", "have"), ("is", "are"), ("was", "were"), ("does", "do")),
    "fr": (("a", "ont"), ("est", "sont"), ("fait", "font"), ("dit", "disent"),
           ("soutient", "soutiennent"), ("veut", "veulent"), ("peut", "peuvent"),
           ("doit", "doivent"), ("croit", "croient"), ("voit", "voient")),
    "es": (("ha", "han"), ("es", "son"), ("está", "están"), ("fue", "fueron"),
           ("dijo", "dijeron"), ("hizo", "hicieron"), ("propuso", "propusieron"),
           ("puso", "pusieron"), ("tuvo", "tuvieron"), ("estuvo", "estuvieron"),
           ("sostuvo", "sostuvieron"), ("dio", "dieron"), ("pudo", "pudieron"),
           ("quiso", "quisieron"), ("vio", "vieron")),
}
# Clitics and adverbs that may stand before the verb; they are kept, re-elided in French.
_LEADERS = {
    "en": ("also",),
    "fr": ("ne", "n'", "se", "s'", "le", "l'", "la", "les", "lui", "leur", "y", "en"),
    "es": ("no", "se", "lo", "la", "le", "los", "las", "les", "ya", "también"),
}
_FR_ELIDED = {"n'": "ne", "s'": "se", "l'": "le"}
_VOWELS = tuple("aeiouyhàâäéèêëîïôöùûü")
_COPULAS = {"fr": ("est", "sont"), "es": ("es", "son", "está", "están")}
# Participles and adjectives after a copula agree: prononcé/prononcés, partidario/partidarios.
_AGREEING = {"fr": ("é", "ée", "u", "ue", "able", "ible"), "es": ("o", "a", "ble")}
# Adverbs between the copula and what agrees with it: "ne sont pas convaincus".
_ADVERBS = {"pas", "plus", "jamais", "guère", "très", "bien", "aussi", "également", "donc",
            "muy", "también", "ya", "más", "tan"}


def _regular(word: str, lang: str, plural: bool) -> str:
    if lang == "fr":
        if word.endswith("ent") and len(word) > 4:
            return word if plural else word[:-2]
        return word + "nt" if plural and word.endswith("e") else word
    if lang == "es":
        if plural:
            if word.endswith("n"):
                return word
            for sg, pl in (("ió", "ieron"), ("yó", "yeron"), ("ó", "aron"), ("a", "an"),
                           ("e", "en")):
                if word.endswith(sg):
                    return word[: -len(sg)] + pl
            return word
        for pl, sg in (("ieron", "ió"), ("yeron", "yó"), ("aron", "ó"), ("an", "a"), ("en", "e")):
            if word.endswith(pl) and len(word) > len(pl) + 1:
                return word[: -len(pl)] + sg
    return word  # English past tense agrees with both numbers


def _agree_next(words: list[str], lang: str, plural: bool) -> None:
    i = 1
    while i < len(words) and words[i].lower() in _ADVERBS:
        i += 1
    if i >= len(words) or len(words[i]) <= 3 or "'" in words[i]:
        return  # "d'avis", "a favor": nothing here agrees
    word = words[i]
    for ending in _AGREEING[lang]:
        if plural and word.endswith(ending):
            words[i] = word + "s"
            return
        if not plural and word.endswith(ending + "s"):
            words[i] = word[:-1]
            return


def inflect(text: str, lang: str, plural: bool) -> str:
    """Put the leading finite verb of a predicate in the singular or plural.

    "ont estimé" <-> "a estimé", "se sont prononcés" <-> "s'est prononcé", "consideraron" <->
    "consideró", "have noted" <-> "has noted". Only the first verb is touched; pass explicit
    {'sg', 'pl'} forms for anything this cannot know (see docs/phrasing.md).
    """
    leaders: list[str] = []
    rest = text.strip()
    while True:
        for lead in _LEADERS.get(lang, ()):
            sep = "" if lead.endswith("'") else " "
            if rest.lower().startswith(lead + sep) and len(rest) > len(lead + sep):
                leaders.append(_FR_ELIDED.get(lead, lead))
                rest = rest[len(lead + sep):]
                break
        else:
            break
    words = rest.split(" ")
    first = words[0].lower()
    for sg, pl in _VERB_PAIRS.get(lang, ()):
        if first in (sg, pl):
            words[0] = pl if plural else sg
            break
    else:
        words[0] = _regular(words[0], lang, plural)
    if lang in _COPULAS and words[0] in _COPULAS[lang]:
        _agree_next(words, lang, plural)
    out = " ".join(words)
    for lead in reversed(leaders):
        elide = lang == "fr" and lead in ("ne", "se", "le") and out.lower().startswith(_VOWELS)
        out = f"{lead[0]}'{out}" if elide else f"{lead} {out}"
    return out


def negate(text: str, lang: str) -> str:
    """French needs "ne" after "aucun": "Aucun État n'a estimé". Other languages: unchanged."""
    if lang != "fr" or text.startswith(("ne ", "n'")):
        return text
    return f"n'{text}" if text.lower().startswith(_VOWELS) else f"ne {text}"
