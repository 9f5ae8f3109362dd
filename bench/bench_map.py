"""The response map: first map in a process (atlas loaded) and a second one, per format.

The baseline is matplotlib saving an empty figure of the same size, so the ratio shows what the
world itself costs.
"""

from __future__ import annotations

import io
import time
from datetime import date

from run import side_by_side


def run():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from migq.registry import load_roster
    from migq.render.map import MapStyle, draw_response_map

    states = {r.iso3: r.m49 for r in load_roster()}
    replied = set(sorted(states)[::3])
    t = time.perf_counter()
    draw_response_map(states, replied, date(2008, 6, 30), None, fmt="png")
    yield f"first map (atlas loaded and projected): {time.perf_counter() - t:.2f} s"
    style = MapStyle()

    def empty(fmt):
        fig = Figure(figsize=(style.width_in, style.height_in), dpi=style.dpi)
        fig.savefig(io.BytesIO(), format=fmt)

    for fmt in ("png", "svg", "pdf"):
        base, ours = side_by_side(lambda: empty(fmt),
                                  lambda: draw_response_map(states, replied, date(2008, 6, 30), None, fmt=fmt))
        yield f"{fmt}: {ours:.2f} s (empty figure {base:.3f} s, ratio {ours / base:.1f}x)"
