"""Build migq/data/world-50m.json from the `world-atlas` npm package (version 2).

The atlas is Natural Earth 1:50m admin-0 countries (public domain) as TopoJSON. We decode its
shared arcs into one ring list per country so the runtime needs no TopoJSON reader, keep the
atlas's own integer quantisation (delta-encoded, so the file stays small), and thin each ring
with a Douglas-Peucker pass of a few atlas quanta (about 1 km), invisible at map scale.

Usage (needs node/npm only for fetching the package, never at run time):
    cd "$(mktemp -d)" && npm pack world-atlas@2 && tar xzf world-atlas-2.*.tgz
    python scripts/build_world.py package/countries-50m.json migq/data/world-50m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SOURCE = "world-atlas 2.0.2, countries-50m.json (Natural Earth 1:50m admin-0, public domain)"

# Features drawn as part of a recipient State, following United Nations usage (M49 lists
# none of them separately as a State, or lists it as part of that State). The atlas leaves the
# first three without a code. Everything else that is not a recipient is drawn neutral.
FOLLOWS_BY_NAME = {
    "Somaliland": 706,  # Somalia
    "N. Cyprus": 196,  # Cyprus
    "Kosovo": 688,  # Serbia (Security Council resolution 1244 (1999))
}
FOLLOWS_BY_ID = {
    158: 156,  # Taiwan Province of China
    344: 156,  # Hong Kong SAR of China
    446: 156,  # Macao SAR of China
    248: 246,  # Åland Islands (Finland)
}
# Antarctica is cropped from the map; dropping it keeps the file smaller.
DROP_IDS = {10}

# Where a small State's dot goes when the centroid of its largest island will not do: Tuvalu is
# absent from the 50m atlas, and Kiribati's largest island lies 3,000 km from its capital.
DOT_POSITIONS = {
    296: {"name": "Kiribati", "lon": 173.03, "lat": 1.45},
    798: {"name": "Tuvalu", "lon": 179.19, "lat": -8.52},
}

TOLERANCE = 4.0  # Douglas-Peucker tolerance in atlas quanta (0.0036 deg lon, 0.0017 deg lat each)


def decode_arcs(arcs: list[list[list[int]]]) -> list[list[tuple[int, int]]]:
    """Undo TopoJSON delta encoding; points stay in integer quanta."""
    decoded = []
    for arc in arcs:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x, y))
        decoded.append(points)
    return decoded


def ring_points(ring: list[int], arcs: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    points: list[tuple[int, int]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()  # the renderer closes rings itself
    return points


def simplify(points: list[tuple[int, int]], tolerance: float) -> list[tuple[int, int]]:
    """Douglas-Peucker keeping both ends; iterative so long coastlines do not hit recursion."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        start, end = stack.pop()
        (x1, y1), (x2, y2) = points[start], points[end]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, worst_index = -1.0, -1
        for i in range(start + 1, end):
            px, py = points[i]
            if norm == 0:
                dist = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            else:
                dist = abs(dy * (px - x1) - dx * (py - y1)) / norm
            if dist > worst:
                worst, worst_index = dist, i
        if worst > tolerance:
            keep[worst_index] = True
            stack.extend([(start, worst_index), (worst_index, end)])
    if points[0] == points[-1] and sum(keep) < 4:
        return points  # a closed island arc must keep enough points to stay a polygon
    return [p for p, k in zip(points, keep) if k]


def delta_encode(points: list[tuple[int, int]]) -> list[int]:
    flat: list[int] = []
    px = py = 0
    for x, y in points:
        flat.extend((x - px, y - py))
        px, py = x, y
    return flat


def feature_polygons(geometry: dict, arcs: list) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    encoded = []
    for polygon in polygons:
        rings = [ring_points(ring, arcs) for ring in polygon]
        rings = [r for r in rings if len(r) >= 3]
        if rings:
            encoded.append([delta_encode(r) for r in rings])
    return encoded


def build(topology: dict) -> dict:
    # Thin shared arcs once, before assembling rings, so neighbours keep identical borders.
    arcs = [simplify(arc, TOLERANCE) for arc in decode_arcs(topology["arcs"])]
    features: list[dict] = []
    by_id: dict[int, dict] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        raw_id = geometry.get("id")
        if raw_id is None and name not in FOLLOWS_BY_NAME:
            continue  # Siachen Glacier, Indian Ocean Ter.: too small to show; left out
        code = int(raw_id) if raw_id is not None else None
        if code in DROP_IDS:
            continue
        polygons = feature_polygons(geometry, arcs)
        if code is not None and code in by_id:  # Australia + Ashmore and Cartier Is. share 036
            by_id[code]["polygons"].extend(polygons)
            continue
        follows = FOLLOWS_BY_NAME.get(name) if code is None else FOLLOWS_BY_ID.get(code)
        feature = {"id": code, "name": name, "follows": follows, "polygons": polygons}
        features.append(feature)
        if code is not None:
            by_id[code] = feature
    features.sort(key=lambda f: (f["id"] is None, f["id"] or 0, f["name"]))
    return {
        "source": SOURCE,
        "licence": "Natural Earth data is in the public domain",
        "transform": topology["transform"],
        "features": features,
        "dot_positions": {str(k): v for k, v in sorted(DOT_POSITIONS.items())},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    topology = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    data = build(topology)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    Path(argv[2]).write_text(text, encoding="utf-8")
    points = sum(len(r) // 2 for f in data["features"] for p in f["polygons"] for r in p)
    print(f"{argv[2]}: {len(data['features'])} features, {points} points, {len(text)} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
