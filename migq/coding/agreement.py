"""Intercoder agreement per code: Cohen's kappa (exactly two coders), Fleiss' kappa (three or more
coders, on the units all of them decided) and Krippendorff's alpha (nominal, any number of coders,
missing values allowed). The coefficients live in ``migq.coding.agreement_measures`` and are
re-exported here.

A *unit* is one decision to make: an (answer, code) pair; its value is 1 (the code applies) or
0 (it does not). Per code, the units are the answers some coder decided on; overall, every
(answer, code) pair is pooled into one reliability table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from migq.coding.agreement_measures import (_missing, category_counts, cohen_kappa, fleiss_kappa,
                                            krippendorff_alpha_nominal)

__all__ = ["ALL_CODES", "AgreementReport", "CodeAgreement", "Disagreement", "agreement_report",
           "category_counts", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha_nominal"]

ALL_CODES = "_all"


@dataclass(frozen=True)
class CodeAgreement:
    code: str
    units: int  # answers on which at least two coders decided about this code
    coders: int
    agreement: float | None  # share of those units where all coders agree
    kappa: float | None  # Cohen's kappa, only when exactly two coders decided on this code
    alpha: float | None  # Krippendorff's alpha (nominal)
    # Fleiss' kappa, only when three or more coders decided on this code, computed on the
    # fleiss_units answers that every one of them decided (Fleiss needs as many ratings per unit).
    fleiss_kappa: float | None = None
    fleiss_units: int | None = None  # None with fewer than three coders

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
    fleiss, fleiss_units = None, None
    if coders >= 3:
        # Fleiss' kappa assumes the same number of ratings per unit: keep only the units every
        # coder of this code decided (listwise deletion, as R's irr::kappam.fleiss does); alpha
        # uses all pairable units.
        complete = table.dropna(axis=0, how="any")
        fleiss_units = len(complete)
        if fleiss_units:
            fleiss = _clean(fleiss_kappa(category_counts(complete)))
    if pairable.empty:
        return CodeAgreement(code, 0, coders, None, None, None, fleiss, fleiss_units)
    agree = pairable.apply(lambda r: r.dropna().nunique() == 1, axis=1).mean()
    kappa = None
    if coders == 2:
        kappa = _clean(cohen_kappa(pairable.iloc[:, 0], pairable.iloc[:, 1]))
    return CodeAgreement(code, len(pairable), coders, float(agree), kappa,
                         _clean(krippendorff_alpha_nominal(table)), fleiss, fleiss_units)
