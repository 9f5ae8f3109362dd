"""Writers for the statistician's export: one function per format, and formula neutralising.

Every format carries what it can of the metadata: Stata and SPSS keep variable and value
labels; XLSX gets a 'variables' and a 'values' sheet beside the data; CSV, JSON and Parquet keep
the data only (Parquet also keeps the variable labels in its schema metadata).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

FORMATS = ("csv", "xlsx", "parquet", "dta", "sav", "json")
# OWASP CSV injection: a cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
STATA_NAME_MAX = 32
STATA_STR_MAX = 2045  # longer text goes to strL
STATA_LABEL_MAX = 80


def neutralise(value):
    """Text a spreadsheet would run as a formula, prefixed with a single quote; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise).astype(object)
    return out


def stata_name(name: str) -> str:
    """A valid Stata variable name for ``name``, deterministic and documented (docs/export.md).

    Characters other than letters, digits and '_' become '_'; a name starting with a digit gets
    a leading '_'; a name longer than 32 characters keeps its first 23 characters, then '_' and
    the first 8 hex digits of the SHA-1 of the full name (so two long names never collide).
    """
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not clean or clean[0].isdigit():
        clean = "_" + clean
    if len(clean) <= STATA_NAME_MAX:
        return clean
    return f"{clean[:23]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


@dataclass
class ExportMeta:
    """What a statistician needs besides the values: labels for variables and for values."""

    form_id: str
    version: str
    as_of: str
    language: str | None
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)  # column -> {value: label}


def write_export(frame: pd.DataFrame, meta: ExportMeta, path: str | Path, fmt: str) -> Path:
    """Write ``frame`` as ``fmt`` (one of FORMATS) to ``path``."""
    from migq.errors import UsageError

    if fmt not in FORMATS:
        raise UsageError(f"'{fmt}' is not an export format.", hint=f"Use one of: {', '.join(FORMATS)}.")
    path = Path(path)
    writer = {"csv": _csv, "xlsx": _xlsx, "parquet": _parquet, "dta": _dta, "sav": _sav, "json": _json}[fmt]
    from migq.files import output_file

    with output_file(path, app="Excel" if fmt == "xlsx" else None) as tmp:
        writer(frame, meta, tmp)
    return path


def _csv(frame, meta, path):
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8")


def _json(frame, meta, path):
    records = [{k: _json_value(v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")


def _json_value(v):
    v = _plain(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def _parquet(frame, meta, path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    extra = {b"migq": json.dumps({"form_id": meta.form_id, "version": meta.version, "as_of": meta.as_of,
                                  "variable_labels": meta.variable_labels}, ensure_ascii=False).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    pq.write_table(table, path)


def _xlsx(frame, meta, path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    _put_rows(ws, [list(frame.columns)] + neutralise_frame(frame).astype(object)
              .where(frame.notna(), None).values.tolist())
    ws.freeze_panes = "B2"
    variables = wb.create_sheet("variables")
    _put_rows(variables, [["variable", "label"]] + [[c, meta.variable_labels.get(c, "")] for c in frame.columns])
    values = wb.create_sheet("values")
    _put_rows(values, [["variable", "value", "label"]] + [
        [c, v, lab] for c, labels in meta.value_labels.items() for v, lab in labels.items()])
    wb.save(path)


def _put_rows(ws, rows):
    for row in rows:
        ws.append([neutralise(_plain(v)) for v in row])
    # ws.append turns a string starting with '=' into a formula: make sure none survived.
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _plain(v):
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v


def _numbered(frame: pd.DataFrame, meta: ExportMeta) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Stata and SPSS label numbers, not text: text categories become 1..n in choice order."""
    out = frame.copy()
    values: dict[str, dict] = {}
    for column, labels in meta.value_labels.items():
        if column not in out.columns:
            continue
        if all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in labels):
            values[column] = dict(labels)
            continue
        number = {k: i for i, k in enumerate(labels, start=1)}
        out[column] = out[column].map(lambda v: number.get(v) if _plain(v) is not None else None).astype("Float64")
        values[column] = {number[k]: lab for k, lab in labels.items()}
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(int)
        elif column not in values and (pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object):
            if not out[column].map(lambda v: hasattr(v, "isoformat") or _plain(v) is None).all():
                out[column] = out[column].map(lambda v: None if _plain(v) is None else str(v)).astype(object)
    for column in values:  # pyreadstat wants plain floats with NaN, not pandas' nullable type
        out[column] = out[column].astype(float)
    return out, values


def _labelled(frame: pd.DataFrame, meta: ExportMeta, rename: dict[str, str]):
    """Numbered frame, column labels and value labels under the (possibly shortened) names."""
    out, values = _numbered(frame, meta)
    labels = {}
    for column in frame.columns:
        label = meta.variable_labels.get(column, "")
        if rename[column] != column:  # the full name stays findable in the label
            label = f"{column}: {label}" if label else column
        labels[rename[column]] = label
    return out.rename(columns=rename), labels, {rename[c]: v for c, v in values.items()}


def _dta(frame, meta, path):
    # pandas, not pyreadstat: pyreadstat names each value-label set after its variable plus a
    # counter, which breaks on 32-character names; pandas keeps the variable's own name.
    rename = {c: stata_name(c) for c in frame.columns}
    if len(set(rename.values())) != len(rename):
        raise ValueError("two columns shorten to the same Stata name")
    out, labels, values = _labelled(frame, meta, rename)
    dates, strl = {}, []
    for column in out.columns:
        present = out[column].dropna()
        if len(present) and present.map(lambda v: hasattr(v, "isoformat")).all():
            out[column] = pd.to_datetime(out[column])
            dates[column] = "td"
        elif out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if _plain(v) is None else str(v)).astype(object)
            if max(map(lambda v: len(v.encode()), out[column]), default=0) > STATA_STR_MAX:
                strl.append(column)
        elif isinstance(out[column].dtype, pd.api.extensions.ExtensionDtype):  # nullable Int64
            out[column] = out[column].astype(float)
    out.to_stata(path, write_index=False, version=118, convert_dates=dates, convert_strl=strl,
                 data_label=f"{meta.form_id} {meta.version} as of {meta.as_of}"[:80],
                 variable_labels={k: v[:STATA_LABEL_MAX] for k, v in labels.items()},
                 value_labels={k: {int(n): lab for n, lab in v.items()} for k, v in values.items()})


def _sav(frame, meta, path):
    import pyreadstat

    # SPSS names: up to 64 bytes, same character rule; the Stata rule is stricter and fits.
    rename = {c: stata_name(c) if len(c.encode()) > 64 or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", c)
              else c for c in frame.columns}
    out, labels, values = _labelled(frame, meta, rename)
    pyreadstat.write_sav(out, str(path), column_labels=labels, variable_value_labels=values,
                         file_label=f"{meta.form_id} {meta.version} as of {meta.as_of}")
