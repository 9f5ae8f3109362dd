"""Agreement statistics against published worked examples and brute-force formulas."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest

from migq.coding.agreement import ALL_CODES, agreement_report, cohen_kappa, krippendorff_alpha_nominal

NA = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x 12
# units, nominal data with missing values; published alpha = 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
    [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
]


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
    assert big.alpha == pytest.approx(_alpha_brute(np.array(binary).T))
    assert big.units == 11  # unit 12 has one value only
    assert report.double_coded == 11 and report.coded == 12
