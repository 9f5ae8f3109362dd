"""What every report renderer shares: cell formatting, spreadsheet safety, the optional map."""

from __future__ import annotations

from migq.phrasing import format_share

# Text that a spreadsheet would read as a formula (or a DDE command) if it started a cell.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would take as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def format_cell(value: object, kind: str, lang: str) -> str:
    """A table cell as text: shares as percentages in the report's language, '' for none."""
    if value is None or value != value:  # None or NaN: no base to divide by
        return ""
    if kind == "share" and isinstance(value, (int, float)):
        return format_share(min(max(float(value), 0.0), 1.0), lang)
    return str(value)


def response_map(report, fmt: str = "svg") -> tuple[bytes | None, str | None]:
    """The map of respondents as of the report's date, or (None, why it is missing).

    The map module is optional (it needs matplotlib and the bundled world outlines); a report
    without its map is still a report, so any failure to draw becomes a note, not an error.
    """
    try:
        from migq.render.map import MapStyle, draw_response_map
    except ImportError as err:
        return None, f"the map module cannot be loaded ({err})."
    try:
        data = draw_response_map(report.states_m49, set(report.replied), report.as_of, None,
                                 style=MapStyle(lang=report.lang), fmt=fmt)
    except Exception as err:  # noqa: BLE001 - drawing is optional, see docstring
        return None, f"{type(err).__name__}: {err}"
    return data, None
