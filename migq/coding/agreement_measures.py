"""The agreement coefficients themselves, on plain data: Cohen's kappa (two coders), Fleiss' kappa
(a fixed number of ratings per unit) and Krippendorff's alpha (nominal, any number of coders,
missing values allowed). Written with numpy so each can be checked line by line against its
published formula (docs/coding.md); ``migq.coding.agreement`` applies them to coders' decisions.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd


def cohen_kappa(first, second) -> float:
    """Cohen's kappa of two coders' values on the same units (NaN when chance agreement is 1).

    kappa = (p_o - p_e) / (1 - p_e), with p_o the observed share of agreement and p_e the
    agreement expected from each coder's own marginal shares.
    """
    a = pd.Series(list(first), dtype=object)
    b = pd.Series(list(second), dtype=object)
    if len(a) != len(b):
        raise ValueError("the two coders must rate the same units")
    keep = a.notna() & b.notna()
    a, b = a[keep], b[keep]
    n = len(a)
    if n == 0:
        return math.nan
    p_o = float((a.to_numpy() == b.to_numpy()).mean())
    share_a = a.value_counts() / n
    share_b = b.value_counts() / n
    p_e = float(sum(share_a.get(c, 0.0) * share_b.get(c, 0.0) for c in set(share_a.index) | set(share_b.index)))
    if math.isclose(p_e, 1.0):
        return math.nan
    return (p_o - p_e) / (1.0 - p_e)


def fleiss_kappa(counts) -> float:
    """Fleiss' kappa (Fleiss 1971) from the category counts per unit.

    ``counts``: units in rows, categories in columns (a DataFrame or a 2-D array-like), each cell
    the number of ratings that put the unit in that category. Every unit must have the same
    number n >= 2 of ratings; who gave them may differ from unit to unit. With N units:
    P_i = (sum_j n_ij^2 - n) / (n (n - 1)), P = mean of P_i, p_j = sum_i n_ij / (N n),
    P_e = sum_j p_j^2, kappa = (P - P_e) / (1 - P_e). NaN when there is no unit or chance
    agreement is 1 (every rating in one category), as for ``cohen_kappa``.
    """
    m = pd.DataFrame(counts).to_numpy(dtype=float)
    if m.size == 0:
        return math.nan
    if np.isnan(m).any() or (m < 0).any() or (m != np.round(m)).any():
        raise ValueError("category counts must be whole numbers >= 0")
    per_unit = m.sum(axis=1)
    n = per_unit[0]
    if (per_unit != n).any():
        raise ValueError("Fleiss' kappa needs the same number of ratings for every unit; "
                         f"these units have from {per_unit.min():.0f} to {per_unit.max():.0f}")
    if n < 2:
        raise ValueError("Fleiss' kappa needs at least two ratings per unit")
    p_unit = ((m ** 2).sum(axis=1) - n) / (n * (n - 1))
    p_j = m.sum(axis=0) / (len(m) * n)
    p_e = float((p_j ** 2).sum())
    if math.isclose(p_e, 1.0):
        return math.nan
    return float((p_unit.mean() - p_e) / (1.0 - p_e))


def category_counts(table) -> pd.DataFrame:
    """The input of ``fleiss_kappa`` from ratings: ``table`` has units in rows and coders in
    columns (missing values NaN/None, not counted); the result has the same units in rows and
    one column per value given, counting the coders who gave it."""
    frame = pd.DataFrame(table)
    values = sorted({v for v in frame.to_numpy().ravel() if not _missing(v)}, key=str)
    rows = [Counter(v for v in row if not _missing(v)) for row in frame.itertuples(index=False)]
    return pd.DataFrame([[r[v] for v in values] for r in rows], index=frame.index, columns=values, dtype=int)


def krippendorff_alpha_nominal(table) -> float:
    """Krippendorff's alpha for nominal data.

    ``table``: units in rows, coders in columns (a DataFrame or a 2-D array-like); missing
    values are NaN/None. Units with fewer than two values are not pairable and drop out.
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k, from the coincidence
    matrix o (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"). NaN when
    there is no variation at all (expected disagreement 0).
    """
    frame = pd.DataFrame(table)
    values = sorted({v for v in frame.to_numpy().ravel() if not _missing(v)}, key=str)
    index = {v: i for i, v in enumerate(values)}
    coincidences = np.zeros((len(values), len(values)))
    for row in frame.itertuples(index=False):
        present = [index[v] for v in row if not _missing(v)]
        m = len(present)
        if m < 2:
            continue
        counts = np.bincount(present, minlength=len(values)).astype(float)
        # Each ordered pair of values from different coders, weighted 1/(m-1).
        coincidences += (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return math.nan
    observed = coincidences.sum() - np.trace(coincidences)
    expected = (n_c.sum() ** 2 - (n_c ** 2).sum()) / (n - 1)
    if expected == 0:
        return math.nan
    return float(1.0 - observed / expected)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA
