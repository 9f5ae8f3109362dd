#!/usr/bin/env python
"""Regenerate migq/data/roster.csv: the 195 recipients of the questionnaire.

Source: OCHA's "Countries & Territories Taxonomy", the CSV bundled inside the
hdx-python-country package (``pip install migq[roster]``). We read the bundled file
directly and never import ``hdx.location.country``: that module tries the network on first
use and stalls when offline. hdx-python-country is needed here only, never at run time.

What comes from the OCHA file: ISO3, M49 code, the UN short names in the six official
languages (UNTERM/DGACM terminology), M49 region, sub-region and intermediate region.
What is curated here: membership status (the two non-member observer States), the UN
regional groups and their special cases, and the correspondence language.

Usage:  python scripts/build_roster.py [--source TAXONOMY.csv] [--out migq/data/roster.csv]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import sys
from pathlib import Path

TAXONOMY_FILE = "Countries & Territories Taxonomy MVP - C&T Taxonomy.csv"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "migq" / "data" / "roster.csv"

ROSTER_COLUMNS = [
    "iso3", "m49", "status",
    "name_en", "name_fr", "name_es", "name_ar", "name_ru", "name_zh",
    "region", "subregion", "intermediate_region",
    "group", "group_note", "language",
]

# Non-member observer States invited alongside the Member States.
OBSERVER_STATES = ("VAT", "PSE")

# UN regional groups, as listed by the UN Department for General Assembly and Conference
# Management (DGACM, "United Nations Regional Groups of Member States"), current membership.
# We use the current membership because the roster itself is the current one (South Sudan,
# admitted in 2011, is a recipient): Kiribati is therefore in Asia-Pacific (it joined in 2010;
# in 2008 it belonged to no group). The note column keeps the history.
GROUPS: dict[str, tuple[str, ...]] = {
    "African": (
        "AGO", "BDI", "BEN", "BFA", "BWA", "CAF", "CIV", "CMR", "COD", "COG", "COM", "CPV",
        "DJI", "DZA", "EGY", "ERI", "ETH", "GAB", "GHA", "GIN", "GMB", "GNB", "GNQ", "KEN",
        "LBR", "LBY", "LSO", "MAR", "MDG", "MLI", "MOZ", "MRT", "MUS", "MWI", "NAM", "NER",
        "NGA", "RWA", "SDN", "SEN", "SLE", "SOM", "SSD", "STP", "SWZ", "SYC", "TCD", "TGO",
        "TUN", "TZA", "UGA", "ZAF", "ZMB", "ZWE",
    ),
    "Asia-Pacific": (
        "AFG", "ARE", "BGD", "BHR", "BRN", "BTN", "CHN", "CYP", "FJI", "FSM", "IDN", "IND",
        "IRN", "IRQ", "JOR", "JPN", "KAZ", "KGZ", "KHM", "KIR", "KOR", "KWT", "LAO", "LBN",
        "LKA", "MDV", "MHL", "MMR", "MNG", "MYS", "NPL", "NRU", "OMN", "PAK", "PHL", "PLW",
        "PNG", "PRK", "QAT", "SAU", "SGP", "SLB", "SYR", "THA", "TJK", "TKM", "TLS", "TON",
        "TUV", "UZB", "VNM", "VUT", "WSM", "YEM",
        "PSE",  # observer State, full member of the group
    ),
    "Eastern European": (
        "ALB", "ARM", "AZE", "BGR", "BIH", "BLR", "CZE", "EST", "GEO", "HRV", "HUN", "LTU",
        "LVA", "MDA", "MKD", "MNE", "POL", "ROU", "RUS", "SRB", "SVK", "SVN", "UKR",
    ),
    "Latin American and Caribbean": (
        "ARG", "ATG", "BHS", "BLZ", "BOL", "BRA", "BRB", "CHL", "COL", "CRI", "CUB", "DMA",
        "DOM", "ECU", "GRD", "GTM", "GUY", "HND", "HTI", "JAM", "KNA", "LCA", "MEX", "NIC",
        "PAN", "PER", "PRY", "SLV", "SUR", "TTO", "URY", "VCT", "VEN",
    ),
    "Western European and others": (
        "AND", "AUS", "AUT", "BEL", "CAN", "CHE", "DEU", "DNK", "ESP", "FIN", "FRA", "GBR",
        "GRC", "IRL", "ISL", "ISR", "ITA", "LIE", "LUX", "MCO", "MLT", "NLD", "NOR", "NZL",
        "PRT", "SMR", "SWE", "TUR",
    ),
}
# Recipients in no group: the United States (Member State) and the Holy See (observer).
NO_GROUP = ("USA", "VAT")

GROUP_NOTES = {
    "USA": "Not a member of any regional group; attends meetings of the Western European and "
    "others Group as an observer and is counted with it for electoral purposes.",
    "TUR": "Participates fully in both the Western European and others and the Asia-Pacific "
    "Groups; counted in Western European and others for electoral purposes.",
    "ISR": "Member of the Western European and others Group (in New York; temporarily from "
    "2000, permanently from 2004), not of the Asia-Pacific Group.",
    "KIR": "Joined the Asia-Pacific Group in 2010; belonged to no group in 2008.",
    "CYP": "European Union member that belongs to the Asia-Pacific Group.",
    "VAT": "Non-member observer State; belongs to no regional group.",
    "PSE": "Non-member observer State; full member of the Asia-Pacific Group.",
}

# Correspondence language with the UN Secretariat (see docs/recipients.md for the rule).
# Spanish: States whose official language is Spanish.
SPANISH = (
    "ARG", "BOL", "CHL", "COL", "CRI", "CUB", "DOM", "ECU", "ESP", "GNQ", "GTM", "HND",
    "MEX", "NIC", "PAN", "PER", "PRY", "SLV", "URY", "VEN",
)
# French: States where French is an official or the main administrative language and that
# habitually write to the Secretariat in French.
FRENCH = (
    "FRA", "BEL", "CHE", "LUX", "MCO",  # Europe
    "HTI", "LBN",  # Americas, Western Asia
    "DZA", "MAR", "MRT", "TUN",  # Maghreb
    "BDI", "BEN", "BFA", "CAF", "CIV", "CMR", "COD", "COG", "COM", "DJI", "GAB", "GIN",
    "MDG", "MLI", "NER", "RWA", "SEN", "TCD", "TGO",  # French-speaking sub-Saharan Africa
)

# The UNTERM short name of Nauru is now "Naoero"; the UN used "Nauru" in 2008 and M49 still
# does, so for this State we take the M49 names.
USE_M49_NAMES = ("NRU",)

LANG_COLUMNS = {
    "en": ("English Short", "M49 English"),
    "fr": ("French Short", "M49 French"),
    "es": ("Spanish Short", "M49 Spanish"),
    "ar": ("Arabic Short", "M49 Arabic"),
    "ru": ("Russian Short", "M49 Russian"),
    "zh": ("Chinese Short", "M49 Chinese"),
}


def bundled_taxonomy() -> Path:
    """The taxonomy CSV bundled in hdx-python-country, found without importing its modules."""
    spec = importlib.util.find_spec("hdx.location")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("hdx-python-country is not installed: pip install 'migq[roster]'")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / TAXONOMY_FILE
        if candidate.exists():
            return candidate
    raise SystemExit(f"hdx-python-country has no '{TAXONOMY_FILE}'; pass --source")


def _group_of() -> dict[str, str]:
    group_of: dict[str, str] = {}
    for group, codes in GROUPS.items():
        for code in codes:
            if code in group_of:
                raise ValueError(f"{code} is listed in two groups")
            group_of[code] = group
    return group_of


def build_rows(source: Path | None = None) -> list[dict[str, str]]:
    """Read the taxonomy and return the roster rows (sorted by ISO3), with consistency checks."""
    source = source or bundled_taxonomy()
    with open(source, encoding="utf-8-sig", newline="") as fh:
        taxonomy = list(csv.DictReader(fh))
    group_of = _group_of()
    rows = []
    for rec in taxonomy:
        iso3 = rec["ISO 3166-1 Alpha 3-Codes"].strip()
        if rec["Appears in DGACM list"].strip() == "Y":
            status = "member"
        elif iso3 in OBSERVER_STATES:
            status = "observer"
        else:
            continue
        if iso3 not in group_of and iso3 not in NO_GROUP:
            raise ValueError(f"{iso3} is in no regional group and not listed in NO_GROUP")
        row = {"iso3": iso3, "m49": str(int(rec["m49 numerical code"])), "status": status}
        for lang, (short_col, m49_col) in LANG_COLUMNS.items():
            name = rec[m49_col] if iso3 in USE_M49_NAMES else (rec[short_col] or rec[m49_col])
            row[f"name_{lang}"] = name.strip()
        row["region"] = rec["Region Name"].strip()
        row["subregion"] = rec["Sub-region Name"].strip()
        row["intermediate_region"] = rec["Intermediate Region Name"].strip()
        row["group"] = group_of.get(iso3, "")
        row["group_note"] = GROUP_NOTES.get(iso3, "")
        row["language"] = "es" if iso3 in SPANISH else "fr" if iso3 in FRENCH else "en"
        rows.append(row)
    rows.sort(key=lambda r: r["iso3"])
    _check(rows, group_of)
    return rows


def _check(rows: list[dict[str, str]], group_of: dict[str, str]) -> None:
    codes = {r["iso3"] for r in rows}
    members = [r for r in rows if r["status"] == "member"]
    if len(members) != 193 or len(rows) != 195:
        raise ValueError(f"expected 193 members + 2 observers, got {len(members)} / {len(rows)}")
    unknown = (set(group_of) | set(SPANISH) | set(FRENCH) | set(GROUP_NOTES)) - codes
    if unknown:
        raise ValueError(f"curated tables name codes not in the roster: {sorted(unknown)}")
    for r in rows:
        empty = [f"name_{lang}" for lang in LANG_COLUMNS if not r[f"name_{lang}"]]
        if empty or not r["region"]:
            raise ValueError(f"{r['iso3']} lacks {empty or 'region'}")


def render_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ROSTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def write_roster(out: Path = DEFAULT_OUT, source: Path | None = None) -> int:
    rows = build_rows(source)
    Path(out).write_text(render_csv(rows), encoding="utf-8", newline="")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="taxonomy CSV (default: the bundled one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="roster CSV to write")
    args = parser.parse_args(argv)
    n = write_roster(args.out, args.source)
    print(f"Wrote {n} recipients to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
