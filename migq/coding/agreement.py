"""Intercoder agreement: Cohen's kappa (two coders) and Krippendorff's alpha (nominal, any number
of coders, missing values allowed), computed here with numpy so the figures can be checked
line by line against the published formulas (docs/coding.md).

A *unit* is one decision to make: an (answer, code) pair; its value is 1 (the code applies) or
0 (it does not). Per code, the units are the answers some coder decided on; overall, every
(answer, code) pair is pooled into one reliability table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ALL_CODES = "_all"


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


@dataclass(frozen=True)
class CodeAgreement:
    code: str
    units: int  # answers on which at least two coders decided about this code
    coders: int
    agreement: float | None  # share of those units where all coders agree
    kappa: float | None  # Cohen's kappa, only when exactly two coders decided on this code
    alpha: float | None  # Krippendorff's alpha (nominal)

    def to_dict(self) -> dict:
        return {k: _clean(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Disagreement:
    submission_id: int
    iso3: str | None
    question: str
    code: str
    said: dict[str, bool]  # coder -> applies

    def to_dict(self) -> dict:
        return dict(submission_id=self.submission_id, iso3=self.iso3, question=self.question,
                    code=self.code, said=dict(sorted(self.said.items())))


@dataclass
class AgreementReport:
    coders: list[str]
    answers: int  # answers to be coded (counted free-text answers)
    coded: int  # answers with at least one coder's decision
    double_coded: int  # answers with decisions of at least two coders
    by_code: list[CodeAgreement] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def overall(self) -> CodeAgreement | None:
        return next((c for c in self.by_code if c.code == ALL_CODES), None)

    @property
    def double_coded_share(self) -> float | None:
        base = self.answers or self.coded
        return self.double_coded / base if base else None

    def to_dict(self) -> dict:
        return dict(coders=self.coders, answers=self.answers, coded=self.coded,
                    double_coded=self.double_coded, double_coded_share=_clean(self.double_coded_share),
                    by_code=[c.to_dict() for c in self.by_code],
                    disagreements=[d.to_dict() for d in self.disagreements])


def _clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


def agreement_report(decisions: pd.DataFrame, answers: int | None = None,
                     iso3_of: dict[int, str] | None = None) -> AgreementReport:
    """Agreement figures from coders' live decisions.

    ``decisions``: columns submission_id, question, coder, code, applies (one row per coder and
    (answer, code)). ``answers``: how many answers were there to code (the base of the
    double-coded share; default: the answers coded at all).
    """
    iso3_of = iso3_of or {}
    if decisions.empty:
        return AgreementReport([], answers or 0, 0, 0)
    d = decisions.assign(applies=decisions["applies"].astype(bool).astype(int))
    coders = sorted(d["coder"].unique())
    per_answer = d.groupby(["submission_id", "question"])["coder"].nunique()
    report = AgreementReport(coders, answers if answers is not None else len(per_answer),
                             len(per_answer), int((per_answer >= 2).sum()))
    table = d.pivot_table(index=["code", "submission_id", "question"], columns="coder",
                          values="applies", aggfunc="last")
    for code in sorted(d["code"].unique()):
        report.by_code.append(_figures(code, table.loc[code]))
    report.by_code.append(_figures(ALL_CODES, table))
    for (code, sid, question), row in table.iterrows():
        said = {c: bool(v) for c, v in row.items() if not _missing(v)}
        if len(set(said.values())) > 1:
            report.disagreements.append(Disagreement(int(sid), iso3_of.get(int(sid)), question, code, said))
    return report


def _figures(code: str, table: pd.DataFrame) -> CodeAgreement:
    table = table.dropna(axis=1, how="all")
    pairable = table[table.notna().sum(axis=1) >= 2]
    coders = table.shape[1]
    if pairable.empty:
        return CodeAgreement(code, 0, coders, None, None, None)
    agree = pairable.apply(lambda r: r.dropna().nunique() == 1, axis=1).mean()
    kappa = None
    if coders == 2:
        kappa = _clean(cohen_kappa(pairable.iloc[:, 0], pairable.iloc[:, 1]))
    return CodeAgreement(code, len(pairable), coders, float(agree), kappa,
                         _clean(krippendorff_alpha_nominal(table)))
