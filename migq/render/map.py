"""The map of report A/63/265: the world with the States that had replied by a date in grey.

matplotlib is imported inside `draw_response_map` only, so importing this module stays light.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from migq.dates import long_date
from migq.errors import MigqError, UsageError
from migq.render.world import (
    SMALL_STATE_KM2,
    coverage,
    dot_anchor,
    load_world,
    map_frame,
    outline,
    spread_dots,
)

__all__ = ["MapStyle", "draw_response_map", "coverage", "FORMATS"]

FORMATS = ("png", "svg", "pdf")

_TEXT = {
    "en": {
        "title": "States whose replies had been received by {date}",
        "replied": "Replied by {date}",
        "no_reply": "No reply",
        "other": "Not a recipient",
        "dot": "Small State, shown as a dot",
        "note": "The boundaries shown on this map do not imply official endorsement or "
        "acceptance by the United Nations.",
    },
    "fr": {
        "title": "États Membres dont les réponses ont été reçues au {date}",
        "replied": "Réponse reçue au {date}",
        "no_reply": "Pas de réponse",
        "other": "Non destinataire",
        "dot": "Petit État, représenté par un point",
        "note": "Les frontières indiquées sur la carte n'impliquent ni reconnaissance ni "
        "acceptation officielle de la part de l'Organisation des Nations Unies.",
    },
    "es": {
        "title": "Estados Miembros cuyas respuestas se habían recibido al {date}",
        "replied": "Respuesta recibida al {date}",
        "no_reply": "Sin respuesta",
        "other": "No destinatario",
        "dot": "Estado pequeño, representado por un punto",
        "note": "Los límites que figuran en este mapa no implican su apoyo o aceptación "
        "oficial por las Naciones Unidas.",
    },
}


@dataclass(frozen=True)
class MapStyle:
    replied_color: str = "#9e9e9e"  # grey, as in the report
    other_color: str = "#ffffff"
    edge_color: str = "#4d4d4d"
    dot_size: float = 5.0  # diameter of a small State's dot, in points
    width_in: float = 10.0
    height_in: float = 5.2
    dpi: int = 200
    lang: str = "en"
    neutral_color: str = "#e6e6e6"  # territories that were not sent the questionnaire
    ocean_color: str = "#ffffff"
    edge_width: float = 0.25  # points
    small_state_km2: float = SMALL_STATE_KM2  # below this land area a State also gets a dot


def _output_format(out: Path | None, fmt: str | None) -> str:
    chosen = (fmt or (out.suffix.lstrip(".") if out is not None and out.suffix else "png")).lower()
    if chosen not in FORMATS:
        raise UsageError(
            f"Cannot draw the map as {chosen!r}.",
            hint=f"Use one of: {', '.join(FORMATS)} (as the file suffix or the format option).",
            path=str(out) if out is not None else None,
        )
    return chosen


def _check_inputs(states: Mapping[str, int], replied: set[str], lang: str) -> None:
    if lang not in _TEXT:
        raise UsageError(f"No map wording for language {lang!r}.", hint="Use en, fr or es.")
    unknown = sorted(set(replied) - set(states))
    if unknown:
        raise MigqError(
            f"Replies from {', '.join(unknown)}, which are not among the {len(states)} recipients.",
            hint="Pass every recipient in `states` (ISO3 -> M49 code).",
        )


def draw_response_map(
    states: Mapping[str, int],
    replied: set[str],
    as_of: date,
    out: Path | None,
    style: MapStyle = MapStyle(),
    title: str | None = None,
    fmt: str | None = None,
) -> bytes:
    """Draw the world with `replied` recipients in grey; write it to `out` (if given) as PNG, SVG
    or PDF, chosen by `fmt` or the suffix of `out`; return the file's bytes.

    Every country artist carries gid = ISO3 (dots: ISO3 + "-dot"), so the SVG can be styled or
    checked by State. SVG and PDF output is byte-for-byte reproducible.
    """
    out = Path(out) if out is not None else None
    kind = _output_format(out, fmt)
    _check_inputs(states, replied, style.lang)
    # An explicit Agg canvas instead of pyplot: no global figure state, no GUI backend.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    text = _TEXT[style.lang]
    when = long_date(as_of, style.lang)
    settings = {"svg.hashsalt": "migq-map", "svg.fonttype": "none"}
    with rc_context(settings):
        fig = Figure(figsize=(style.width_in, style.height_in), dpi=style.dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.07, 0.98, 0.83))
        _draw_world(ax, states, replied, style)
        _draw_legend(ax, text, when, style)
        fig.suptitle(title or text["title"].format(date=when), y=0.965, fontsize=13)
        fig.text(0.5, 0.025, text["note"], ha="center", va="bottom", fontsize=7, style="italic")
        buffer = io.BytesIO()
        metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
        fig.savefig(buffer, format=kind, dpi=style.dpi, metadata=metadata[kind])
    data = buffer.getvalue()
    if out is not None:
        from migq.files import write_output

        write_output(out, data)
    return data


def _draw_world(ax, states: Mapping[str, int], replied: set[str], style: MapStyle) -> None:
    from matplotlib.patches import PathPatch, Polygon
    from matplotlib.path import Path as MplPath

    world = load_world()
    iso3_by_code = {int(code): iso3 for iso3, code in states.items()}
    # One artist per recipient (its own features and those that follow it), so gid = ISO3 is
    # unique in the SVG; territories that were not sent the questionnaire get "other-<code>".
    rings_by_gid: dict[str, list] = {}
    for shape in world.shapes:
        iso3 = iso3_by_code.get(shape.code) if shape.code is not None else None
        gid = iso3 or f"other-{shape.atlas_id or shape.name}"
        rings_by_gid.setdefault(gid, []).extend(shape.rings)

    # add_artist, not add_patch: limits are set by hand, and add_patch walks every vertex.
    frame = outline()
    ax.add_artist(Polygon(frame, facecolor=style.ocean_color, edgecolor="none", zorder=0))
    for gid, rings in rings_by_gid.items():
        vertices, codes = [], []
        for ring in rings:
            vertices.extend((*ring, ring[0]))
            codes.extend((MplPath.MOVETO, *[MplPath.LINETO] * (len(ring) - 1), MplPath.CLOSEPOLY))
        recipient = not gid.startswith("other-")
        if recipient:
            fill = style.replied_color if gid in replied else style.other_color
        else:
            fill = style.neutral_color
        patch = PathPatch(
            MplPath(vertices, codes), facecolor=fill, edgecolor=style.edge_color,
            linewidth=style.edge_width, joinstyle="round", zorder=2 if recipient else 1,
        )
        patch.set_gid(gid)
        ax.add_artist(patch)
    ax.add_artist(Polygon(frame, facecolor="none", edgecolor=style.edge_color,
                          linewidth=style.edge_width * 2, zorder=4))

    _draw_dots(ax, world, states, replied, style)
    xmin, xmax, ymin, ymax = map_frame()
    pad = (xmax - xmin) * 0.004
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _draw_dots(ax, world, states: Mapping[str, int], replied: set[str], style: MapStyle) -> None:
    drawn = coverage(states, style.small_state_km2)
    anchors = {iso3: dot_anchor(world, int(states[iso3])) for iso3 in drawn["dot"]}
    # Map units per point: the equal-aspect map fills the axes box in its tighter direction.
    xmin, xmax, ymin, ymax = map_frame()
    box_w, box_h = style.width_in * 0.98 * 72, style.height_in * 0.83 * 72
    per_point = max((xmax - xmin) / box_w, (ymax - ymin) / box_h)
    diameter = style.dot_size * per_point
    placed = spread_dots(anchors, min_gap=diameter * 1.05)
    for iso3, (x, y) in placed.items():
        ax0, ay0 = anchors[iso3]
        if math.hypot(x - ax0, y - ay0) > diameter * 0.6:  # moved off its island: show where from
            ax.plot([ax0, x], [ay0, y], color=style.edge_color, linewidth=0.3, zorder=4.5)
        (marker,) = ax.plot(
            [x], [y], marker="o", linestyle="none", markersize=style.dot_size,
            markerfacecolor=style.replied_color if iso3 in replied else style.other_color,
            markeredgecolor=style.edge_color, markeredgewidth=0.5, zorder=5,
        )
        marker.set_gid(f"{iso3}-dot")


def _draw_legend(ax, text: dict, when: str, style: MapStyle) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def swatch(color: str) -> Patch:
        return Patch(facecolor=color, edgecolor=style.edge_color, linewidth=0.5)

    handles = [
        swatch(style.replied_color),
        swatch(style.other_color),
        swatch(style.neutral_color),
        Line2D([], [], marker="o", linestyle="none", markersize=style.dot_size,
               markerfacecolor=style.replied_color, markeredgecolor=style.edge_color,
               markeredgewidth=0.5),
    ]
    labels = [text["replied"].format(date=when), text["no_reply"], text["other"], text["dot"]]
    legend = ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 0.0),
                       fontsize=7.5, frameon=True, framealpha=1.0, edgecolor="#bdbdbd")
    legend.set_zorder(6)
