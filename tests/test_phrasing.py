"""Report language: the phrases of A/63/265 come out of the tallies, in EN, FR and ES."""

from __future__ import annotations

import pytest

from migq.phrasing import (
    LANGS,
    RULES,
    Noun,
    format_count_of,
    format_share,
    inflect,
    quantifier,
    sentence,
    spell_number,
    subject_phrase,
)

NBSP = "\u00a0"

# (count, base, kind, en, fr, es) — the report's own cases first (paras. 21-22).
QUANTIFIERS = [
    (61, 64, "almost_all", "almost all States", "la quasi-totalité des États",
     "casi todos los Estados"),
    (3, 64, "only", "only three States", "seulement trois États", "solo tres Estados"),
    (11, 64, "fraction", "one State in six", "un État sur six", "uno de cada seis Estados"),
    (40, 64, "most", "most States", "la plupart des États", "la mayor parte de los Estados"),
    (0, 64, "none", "no State", "aucun État", "ningún Estado"),
    (1, 64, "only", "only one State", "un seul État", "solo un Estado"),
    (64, 64, "all", "all States", "tous les États", "todos los Estados"),
    (32, 64, "half", "half of the States", "la moitié des États", "la mitad de los Estados"),
    (33, 64, "majority", "a majority of States", "la majorité des États",
     "la mayoría de los Estados"),
    (30, 64, "almost_half", "almost half of the States", "près de la moitié des États",
     "casi la mitad de los Estados"),
    (21, 64, "fraction", "about a third of the States", "environ un tiers des États",
     "alrededor de un tercio de los Estados"),
    (20, 60, "fraction", "a third of the States", "un tiers des États",
     "un tercio de los Estados"),
    (16, 64, "fraction", "a quarter of the States", "un quart des États",
     "una cuarta parte de los Estados"),
    (15, 62, "fraction", "about a quarter of the States", "environ un quart des États",
     "alrededor de una cuarta parte de los Estados"),
    (23, 64, "more_than", "more than a third of the States", "plus d'un tiers des États",
     "más de un tercio de los Estados"),
    (17, 64, "more_than", "more than a quarter of the States", "plus d'un quart des États",
     "más de una cuarta parte de los Estados"),
    (10, 64, "count", "10 States", "10 États", "10 Estados"),
    (4, 64, "count", "four States", "quatre États", "cuatro Estados"),
    (21, 195, "fraction", "one State in nine", "un État sur neuf", "uno de cada nueve Estados"),
    (1, 2, "count", "one State", "un État", "un Estado"),  # small base: counts, not shares
    (2, 4, "count", "two States", "deux États", "dos Estados"),
    (1, 1, "count", "one State", "un État", "un Estado"),
    (9, 9, "all", "all States", "tous les États", "todos los Estados"),
]


@pytest.mark.parametrize("count,base,kind,en,fr,es", QUANTIFIERS)
def test_quantifier_in_three_languages(count, base, kind, en, fr, es):
    for lang, text in zip(LANGS, (en, fr, es)):
        phrase = quantifier(count, base, lang)
        assert (phrase.text, phrase.kind) == (text, kind)
        assert phrase.exact == f"{count}/{base}"
        assert phrase.share == pytest.approx(count / base)
        assert phrase.lang == lang


def test_exact_half_only():
    assert quantifier(1, 2).kind == "count"  # too few to speak of halves
    assert quantifier(10, 20).kind == "half"
    assert quantifier(31, 64).kind == "almost_half"
    assert quantifier(33, 64).kind == "majority"


def test_threshold_edges():
    assert quantifier(58, 64).kind == "almost_all"  # 90.6 %
    assert quantifier(57, 64).kind == "most"  # 89.1 %
    assert quantifier(9, 10).kind == "almost_all"
    assert quantifier(3, 30).kind == "fraction"  # exactly 10 %: not "only", one in ten
    assert quantifier(3, 30, "en").text == "one State in ten"
    assert quantifier(4, 64).kind == "count"  # "only" stops at three
    assert quantifier(2, 10).kind == "count"  # fractions need a base of 20


def test_rules_table_ends_with_a_catch_all():
    assert RULES[-1][0] == "count"
    assert RULES[-1][1](5, 64, 5 / 64)


def test_no_respondents_is_a_phrase_not_a_division_error():
    for lang, text in zip(LANGS, ("no State has replied yet", "aucun État n'a encore répondu",
                                  "ningún Estado ha respondido todavía")):
        phrase = quantifier(0, 0, lang)
        assert (phrase.kind, phrase.text, phrase.share, phrase.exact) == (
            "no_base", text, None, "0/0")
    assert sentence(0, 0, "considered X", "en") == "No State has replied yet."
    assert sentence(0, 0, {"fr": "ont estimé"}, "fr", base_kind="answered") == (
        "Aucun État n'a encore répondu à cette question.")


@pytest.mark.parametrize("count,base", [(65, 64), (1, 0), (-1, 64), (1, -1), (True, 2), (1.0, 2)])
def test_impossible_counts_raise(count, base):
    with pytest.raises(ValueError):
        quantifier(count, base)


def test_count_larger_than_base_says_which_numbers():
    with pytest.raises(ValueError, match="count 65 is larger than base 64"):
        sentence(65, 64, "considered X")


FORUM = {
    "en": "considered that the Forum should be the sole follow-up",
    "fr": "ont estimé que le Forum devrait être la seule activité de suivi",
    "es": "consideraron que el Foro debería ser el único seguimiento",
}

SENTENCES = [
    (11, 64, "en", "One State in six (11 of 64 respondents) considered that the Forum should "
                   "be the sole follow-up."),
    (11, 64, "fr", "Un État sur six (11 sur 64 ayant répondu) a estimé que le Forum devrait "
                   "être la seule activité de suivi."),
    (11, 64, "es", "Uno de cada seis Estados (11 de 64 que respondieron) consideró que el Foro "
                   "debería ser el único seguimiento."),
    (3, 64, "fr", "Seulement trois États (3 sur 64 ayant répondu) ont estimé que le Forum "
                  "devrait être la seule activité de suivi."),
    (61, 64, "es", "Casi todos los Estados (61 de 64 que respondieron) consideraron que el Foro "
                   "debería ser el único seguimiento."),
    (0, 64, "fr", "Aucun État (0 sur 64 ayant répondu) n'a estimé que le Forum devrait être la "
                  "seule activité de suivi."),
    (0, 64, "es", "Ningún Estado (0 de 64 que respondieron) consideró que el Foro debería ser "
                  "el único seguimiento."),
    (1, 64, "en", "Only one State (1 of 64 respondents) considered that the Forum should be "
                  "the sole follow-up."),
    (12, 64, "en", "Twelve States (12 of 64 respondents) considered that the Forum should be "
                   "the sole follow-up."),
    (21, 195, "es", "Uno de cada nueve Estados (21 de 195 que respondieron) consideró que el "
                    "Foro debería ser el único seguimiento."),
    (1, 1, "es", "Un Estado (1 de 1 que respondió) consideró que el Foro debería ser el único "
                 "seguimiento."),
]


@pytest.mark.parametrize("count,base,lang,expected", SENTENCES)
def test_sentence_as_the_report_writes_it(count, base, lang, expected):
    assert sentence(count, base, FORUM, lang) == expected


def test_sentence_start_spells_out_numbers_in_every_language():
    assert sentence(21, 195, "ont estimé", "fr").startswith("Un État sur neuf")
    assert sentence(12, 64, "ont estimé", "fr").startswith("Douze États (12 sur 64")
    assert sentence(18, 64, "consideraron", "es").startswith("Más de una cuarta parte")
    assert subject_phrase(12, 64, "es") == "Doce Estados (12 de 64 que respondieron)"
    assert subject_phrase(12, 64, "en", start=False) == "12 States (12 of 64 respondents)"


def test_explicit_forms_win_over_inflection():
    forms = {"fr": {"sg": "a jugé X", "pl": "ont jugé X", "neg": "n'a jamais jugé X"}}
    assert sentence(11, 64, forms, "fr").endswith(") a jugé X.")
    assert sentence(40, 64, forms, "fr").endswith(") ont jugé X.")
    assert sentence(0, 64, forms, "fr").endswith(") n'a jamais jugé X.")
    only_plural = {"sg": None, "pl": "se sont prononcés pour X"}
    assert sentence(11, 64, {"fr": only_plural}, "fr").endswith(") s'est prononcé pour X.")


def test_predicate_missing_the_language_names_it():
    with pytest.raises(ValueError, match="no text in 'es'"):
        sentence(11, 64, {"en": "considered X", "fr": "ont estimé X"}, "es")


def test_other_subjects_and_bases_agree_in_gender_and_number():
    delegation = {"fr": Noun("délégation", "délégations", "f"),
                  "es": Noun("delegación", "delegaciones", "f"),
                  "en": Noun("delegation", "delegations")}
    assert quantifier(11, 64, "fr", delegation).text == "une délégation sur six"
    assert quantifier(0, 64, "es", delegation).text == "ninguna delegación"
    assert quantifier(64, 64, "fr", delegation).text == "toutes les délégations"
    assert quantifier(1, 64, "fr", delegation).text == "une seule délégation"
    assert quantifier(21, 64, "es", delegation).text == (
        "alrededor de un tercio de las delegaciones")
    assert subject_phrase(21, 195, "fr", delegation, "recipients") == (
        "Une délégation sur neuf (21 sur 195 délégations consultées)")
    assert subject_phrase(40, 64, "en", "Member State", "answered") == (
        "Most Member States (40 of 64 answering the question)")
    assert subject_phrase(3, 64, "es", "country") == "Solo tres países (3 de 64 que respondieron)"
    with pytest.raises(ValueError, match="unknown subject"):
        quantifier(1, 64, "en", "city")
    with pytest.raises(ValueError, match="unknown base_kind"):
        subject_phrase(1, 64, base_kind="everyone")


@pytest.mark.parametrize("n,lang,gender,words,before_noun,expected", [
    (3, "en", "m", False, False, "three"),
    (3, "fr", "m", False, False, "trois"),
    (9, "es", "m", False, False, "nueve"),
    (10, "en", "m", False, False, "10"),
    (64, "fr", "m", False, False, "64"),
    (1, "fr", "f", False, False, "une"),
    (1, "es", "m", False, False, "uno"),
    (1, "es", "m", False, True, "un"),
    (1, "es", "f", False, True, "una"),
    (21, "es", "m", True, True, "veintiún"),
    (21, "fr", "f", True, False, "vingt et une"),
    (71, "fr", "m", True, False, "soixante et onze"),
    (80, "fr", "m", True, False, "quatre-vingts"),
    (81, "fr", "m", True, False, "quatre-vingt-un"),
    (195, "fr", "m", True, False, "cent quatre-vingt-quinze"),
    (200, "fr", "m", True, False, "deux cents"),
    (201, "fr", "m", True, False, "deux cent un"),
    (100, "es", "m", True, False, "cien"),
    (101, "es", "m", True, False, "ciento uno"),
    (200, "es", "f", True, False, "doscientas"),
    (195, "en", "m", True, False, "one hundred and ninety-five"),
    (64, "en", "m", True, False, "sixty-four"),
    (1500, "en", "m", True, False, "1,500"),
    (15000, "fr", "m", False, False, f"15{NBSP}000"),
])
def test_spell_number(n, lang, gender, words, before_noun, expected):
    assert spell_number(n, lang, gender, words=words, before_noun=before_noun) == expected


@pytest.mark.parametrize("bad", [dict(n=-1), dict(n=2, lang="de"), dict(n=2, gender="n")])
def test_spell_number_rejects(bad):
    with pytest.raises(ValueError):
        spell_number(**bad)


@pytest.mark.parametrize("share,lang,digits,expected", [
    (11 / 64, "en", 0, "17%"),
    (11 / 64, "fr", 0, f"17{NBSP}%"),
    (11 / 64, "es", 0, f"17{NBSP}%"),
    (11 / 64, "fr", 1, f"17,2{NBSP}%"),
    (0.125, "en", 0, "13%"),  # half up, not to even
    (0.0, "en", 0, "0%"),
    (1.0, "fr", 0, f"100{NBSP}%"),
    (1 / 300, "en", 0, "<1%"),
    (299 / 300, "en", 0, ">99%"),
])
def test_format_share(share, lang, digits, expected):
    assert format_share(share, lang, digits) == expected


@pytest.mark.parametrize("bad", [-0.1, 1.5, None, "0.2"])
def test_format_share_rejects(bad):
    with pytest.raises(ValueError):
        format_share(bad)


def test_format_count_of():
    assert [format_count_of(11, 64, lang) for lang in LANGS] == [
        "11 of 64", "11 sur 64", "11 de 64"]
    with pytest.raises(ValueError):
        format_count_of(65, 64)


@pytest.mark.parametrize("text,lang,plural,expected", [
    ("ont estimé que", "fr", False, "a estimé que"),
    ("a estimé que", "fr", True, "ont estimé que"),
    ("se sont prononcés contre", "fr", False, "s'est prononcé contre"),
    ("s'est prononcé contre", "fr", True, "se sont prononcés contre"),
    ("ne se sont pas prononcés", "fr", False, "ne s'est pas prononcé"),
    ("sont favorables à", "fr", False, "est favorable à"),
    ("sont d'avis que", "fr", False, "est d'avis que"),
    ("estiment que", "fr", False, "estime que"),
    ("soutiennent", "fr", False, "soutient"),
    ("consideraron", "es", False, "consideró"),
    ("consideró", "es", True, "consideraron"),
    ("decidieron", "es", False, "decidió"),
    ("propusieron", "es", False, "propuso"),
    ("se han pronunciado", "es", False, "se ha pronunciado"),
    ("son partidarios de", "es", False, "es partidario de"),
    ("están a favor", "es", False, "está a favor"),
    ("have noted", "en", False, "has noted"),
    ("are of the view", "en", False, "is of the view"),
    ("considered", "en", False, "considered"),
])
def test_inflect(text, lang, plural, expected):
    assert inflect(text, lang, plural) == expected
