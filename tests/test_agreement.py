"""Agreement statistics against published worked examples and brute-force formulas."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest

from migq.coding.agreement import (ALL_CODES, agreement_report, category_counts, cohen_kappa, fleiss_kappa,
                                   krippendorff_alpha_nominal)

NA = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12
# units, nominal data with missing values; published alpha = 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories; each row counts
# the raters who put the subject in each category. Published: P = 0.378, P_e = 0.213, kappa = 0.210.
WIKIPEDIA_FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
# Fleiss (1971), Psychological Bulletin 76(5): 30 patients, 6 psychiatrists each, 5 diagnoses
# (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other); one string of the
# six diagnoses per patient (the raw ratings as in R's irr::diagnoses). Published kappa = 0.430
# (irr::kappam.fleiss: 0.4302445); category totals 26, 26, 30, 55, 43.
FLEISS_1971 = ("444444 222555 233335 555555 222444 113333 333355 113334 114444 555555 144444 124444 222333 "
               "144444 224445 333335 111455 111112 224444 133555 555555 244444 224555 114444 144445 222224 "
               "111155 224444 133333 555555").split()


def test_fleiss_published_examples():
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(0.210, abs=5e-4)
    ratings = pd.DataFrame([[int(c) for c in patient] for patient in FLEISS_1971])
    counts = category_counts(ratings)
    assert counts.columns.tolist() == [1, 2, 3, 4, 5] and counts.sum().tolist() == [26, 26, 30, 55, 43]
    assert fleiss_kappa(counts) == pytest.approx(0.4302445, abs=1e-7)


def test_krippendorff_published_nominal_example():
    table = np.array(KRIPPENDORFF_2011).T  # units in rows, coders in columns
    assert krippendorff_alpha_nominal(table) == pytest.approx(0.743, abs=5e-4)


def test_cohen_textbook_example():
    # Wikipedia, "Cohen's kappa": 50 proposals; both yes 20, A yes B no 5, A no B yes 10, both no 15.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def _kappa_brute(a, b):
    cats = sorted(set(a) | set(b))
    n = len(a)
    matrix = {(x, y): 0 for x in cats for y in cats}
    for x, y in zip(a, b):
        matrix[x, y] += 1
    p_o = sum(matrix[c, c] for c in cats) / n
    p_e = sum(sum(matrix[c, y] for y in cats) * sum(matrix[x, c] for x in cats) for c in cats) / n / n
    return (p_o - p_e) / (1 - p_e)


def _alpha_brute(table):
    """Alpha as 1 - D_o/D_e from all pairable value pairs (Krippendorff's definition)."""
    units = [[v for v in row if not math.isnan(v)] for row in table]
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)
    d_o = sum(sum(x != y for x, y in itertools.permutations(u, 2)) / (len(u) - 1) for u in units) / n
    d_e = sum(x != y for x, y in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - d_o / d_e


def test_against_independent_computations():
    rng = random.Random(7)
    for _ in range(20):
        a = [rng.choice("abc") for _ in range(40)]
        b = [x if rng.random() < 0.6 else rng.choice("abc") for x in a]
        assert cohen_kappa(a, b) == pytest.approx(_kappa_brute(a, b))
        table = np.array([[rng.choice([0, 1, 2, NA]) for _ in range(4)] for _ in range(15)], dtype=float)
        assert krippendorff_alpha_nominal(table) == pytest.approx(_alpha_brute(table))
    assert krippendorff_alpha_nominal(np.array(KRIPPENDORFF_2011).T) == pytest.approx(
        _alpha_brute(np.array(KRIPPENDORFF_2011, dtype=float).T))


def _fleiss_brute(ratings):
    """Fleiss' kappa as mean pairwise agreement over units vs. agreement of two random ratings."""
    pairs = [sum(x == y for x, y in itertools.permutations(u, 2)) / (len(u) * (len(u) - 1)) for u in ratings]
    pooled = [v for u in ratings for v in u]
    p_e = sum((pooled.count(c) / len(pooled)) ** 2 for c in set(pooled))
    return (sum(pairs) / len(pairs) - p_e) / (1 - p_e)


def test_fleiss_against_brute_force():
    rng = random.Random(11)
    for _ in range(20):
        raters = rng.randint(2, 6)
        ratings = [[rng.choice("abcd") for _ in range(raters)] for _ in range(rng.randint(1, 25))]
        if len({v for u in ratings for v in u}) < 2:
            continue
        assert fleiss_kappa(category_counts(ratings)) == pytest.approx(_fleiss_brute(ratings))


def test_fleiss_against_statsmodels_if_installed():
    statsmodels = pytest.importorskip("statsmodels.stats.inter_rater")  # not a migq dependency
    np_rng = np.random.default_rng(3)
    for _ in range(20):
        raters, shares = np_rng.integers(2, 9), np_rng.dirichlet(np.ones(np_rng.integers(2, 6)))
        counts = np.array([np_rng.multinomial(raters, shares) for _ in range(np_rng.integers(2, 40))])
        assert fleiss_kappa(counts) == pytest.approx(statsmodels.fleiss_kappa(counts))
    assert fleiss_kappa(WIKIPEDIA_FLEISS) == pytest.approx(statsmodels.fleiss_kappa(WIKIPEDIA_FLEISS))


def test_fleiss_edge_cases():
    assert math.isnan(fleiss_kappa([[3, 0], [3, 0]]))  # all raters in one category: chance agreement 1
    assert math.isnan(fleiss_kappa(category_counts([[1, 1, 1], [1, 1, 1]])))
    assert math.isnan(fleiss_kappa([]))
    # One unit, 2 of 3 raters agree: P = 1/3, P_e = 5/9, kappa = -0.5.
    assert fleiss_kappa([[2, 1]]) == pytest.approx(-0.5)
    assert fleiss_kappa([[3, 0], [0, 3]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa([[3, 0], [1, 1]])  # a unit with a missing decision
    with pytest.raises(ValueError, match="at least two"):
        fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="whole numbers"):
        fleiss_kappa([[1.5, 0.5]])
    # Missing ratings are not counted, so the units differ in size until the caller drops them.
    counts = category_counts([[1, 0, NA], [1, 1, 0]])
    assert counts.to_numpy().tolist() == [[1, 1], [1, 2]]


def test_sklearn_if_installed():
    sklearn = pytest.importorskip("sklearn.metrics")
    a, b = [1, 0, 1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 0, 1, 1, 0]
    assert cohen_kappa(a, b) == pytest.approx(sklearn.cohen_kappa_score(a, b))


def test_degenerate_cases_are_nan_not_errors():
    assert math.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))  # chance agreement is 1
    assert math.isnan(cohen_kappa([], []))
    assert math.isnan(krippendorff_alpha_nominal([[1, 1], [1, 1]]))  # no variation
    assert math.isnan(krippendorff_alpha_nominal([[1, NA], [NA, 2]]))  # nothing pairable
    assert krippendorff_alpha_nominal([[1, 1], [0, 0], [1, 1]]) == pytest.approx(1.0)


def test_report_on_coder_decisions_two_coders():
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    rows = [(i, "comments", coder, "regional", bool(v)) for coder, vals in (("alice", a), ("bob", b))
            for i, v in enumerate(vals, start=1)]
    rows += [(i, "comments", "alice", "other", True) for i in range(1, 4)]  # only one coder: no figures
    decisions = pd.DataFrame(rows, columns=["submission_id", "question", "coder", "code", "applies"])
    report = agreement_report(decisions, answers=60)
    regional = next(c for c in report.by_code if c.code == "regional")
    assert regional.kappa == pytest.approx(0.4)
    assert regional.units == 50 and regional.agreement == pytest.approx(0.7)
    other = next(c for c in report.by_code if c.code == "other")
    assert other.units == 0 and other.kappa is None and other.alpha is None
    assert regional.fleiss_kappa is None and regional.fleiss_units is None  # two coders: Cohen only
    assert report.overall.code == ALL_CODES and report.overall.units == 50
    assert report.double_coded == 50 and report.double_coded_share == pytest.approx(50 / 60)
    assert len(report.disagreements) == 15
    assert {tuple(sorted(d.said.items())) for d in report.disagreements} == {
        (("alice", True), ("bob", False)), (("alice", False), ("bob", True))}


def test_report_four_coders_with_missing_decisions():
    # The published table made binary (value >= 3 means the code applies), coders A-D.
    binary = [[NA if math.isnan(v) else float(v >= 3) for v in row] for row in KRIPPENDORFF_2011]
    rows = [(u + 1, "q", "ABCD"[c], "big", bool(v)) for c, row in enumerate(binary)
            for u, v in enumerate(row) if not math.isnan(v)]
    decisions = pd.DataFrame(rows, columns=["submission_id", "question", "coder", "code", "applies"])
    report = agreement_report(decisions)
    assert report.coders == ["A", "B", "C", "D"]
    big = next(c for c in report.by_code if c.code == "big")
    assert big.kappa is None  # Cohen's kappa is for two coders
    # Fleiss' kappa only on the units all four coders decided: 2-9 (1 lacks C, 10 and 11 lack A,
    # 12 has one value); alpha above used all 11 pairable units.
    complete = [row for row in np.array(binary).T if not np.isnan(row).any()]
    assert big.fleiss_units == 8 == len(complete)
    assert big.fleiss_kappa == pytest.approx(_fleiss_brute([list(r) for r in complete]))
    assert big.to_dict()["fleiss_units"] == 8
    assert big.alpha == pytest.approx(_alpha_brute(np.array(binary).T))
    assert big.units == 11  # unit 12 has one value only
    assert report.double_coded == 11 and report.coded == 12


def test_report_three_coders_fleiss_and_degenerate_codes():
    # Fleiss (1971) made binary (schizophrenia or not) for raters A-C, plus a code everyone says
    # applies to everything, and a code a third coder decided on only once.
    rows = []
    for sid, patient in enumerate(FLEISS_1971, start=1):
        for coder, diagnosis in zip("ABC", patient[:3]):
            rows.append((sid, "q", coder, "schizophrenia", diagnosis == "3"))
            rows.append((sid, "q", coder, "everything", True))
        for coder in "AB":
            rows.append((sid, "q", coder, "partial", sid % 2 == 0))
    rows.append((1, "q", "C", "partial", False))
    decisions = pd.DataFrame(rows, columns=["submission_id", "question", "coder", "code", "applies"])
    report = agreement_report(decisions)
    by_code = {c.code: c for c in report.by_code}
    schizo = by_code["schizophrenia"]
    expected = fleiss_kappa(category_counts([[p == "3" for p in patient[:3]] for patient in FLEISS_1971]))
    assert schizo.coders == 3 and schizo.kappa is None and schizo.fleiss_units == 30
    assert schizo.fleiss_kappa == pytest.approx(expected)
    everything = by_code["everything"]
    assert everything.agreement == 1.0 and everything.fleiss_kappa is None and everything.fleiss_units == 30
    partial = by_code["partial"]  # three coders, only one answer decided by all of them
    assert partial.coders == 3 and partial.units == 30 and partial.fleiss_units == 1
    assert partial.fleiss_kappa is None  # the single complete unit: A, B, C all said no
    assert report.overall.fleiss_units == 61 and report.overall.fleiss_kappa is not None


def test_table_output_says_which_answers_fleiss_counts(capsys):
    from migq.cli.coding_cmd import _print_agreement

    rows = [(u + 1, "q", "ABCD"[c], "big", bool(v >= 3)) for c, row in enumerate(KRIPPENDORFF_2011)
            for u, v in enumerate(row) if not math.isnan(v)]
    _print_agreement(agreement_report(pd.DataFrame(rows, columns=["submission_id", "question", "coder", "code",
                                                                  "applies"])))
    out = " ".join(capsys.readouterr().out.split())
    assert "Fleiss' kappa" in out and "0.707" in out
    assert "only the answers that all of the code's coders decided: big 8 of 11; all codes 8 of 11." in out
