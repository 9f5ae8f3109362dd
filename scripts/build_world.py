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
# Natural Earth draws the part of Western Sahara west of the berm inside Morocco's polygon. On a
# United Nations map Western Sahara is a Non-Self-Governing Territory of its own, so everything
# of Morocco's polygon south of the boundary of 27 degrees 40 minutes north goes to it.
SPLIT_SOUTH_OF = {504: (732, 27 + 40 / 60)}  # Morocco -> Western Sahara, south of 27°40' N
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


Ring = list[tuple[int, int]]


def feature_polygons(geometry: dict, arcs: list) -> list[list[Ring]]:
    """Each polygon as its rings of absolute points (exterior first)."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    out = []
    for polygon in polygons:
        rings = [ring_points(ring, arcs) for ring in polygon]
        rings = [r for r in rings if len(r) >= 3]
        if rings:
            out.append(rings)
    return out


def clip_ring(ring: Ring, y_cut: float, keep_north: bool) -> Ring:
    """Sutherland-Hodgman against one horizontal line: the part of the ring north (or south) of it."""
    def inside(p: tuple[int, int]) -> bool:
        return p[1] >= y_cut if keep_north else p[1] <= y_cut

    out: Ring = []
    for a, b in zip(ring, ring[1:] + ring[:1]):
        if inside(a):
            out.append(a)
        if inside(a) != inside(b):
            t = (y_cut - a[1]) / (b[1] - a[1])
            out.append((round(a[0] + t * (b[0] - a[0])), round(y_cut)))
    deduped = [p for i, p in enumerate(out) if p != out[i - 1]] if out else []
    return deduped if len(deduped) >= 3 else []


def merge_rings(first: Ring, second: Ring) -> list[Ring]:
    """The union of two rings that touch along shared vertices: the edges they share in opposite
    directions cancel, and what is left is chained back into rings. Both rings must turn the
    same way, as the exterior rings of one atlas do."""
    edges = [(a, b) for ring in (first, second) for a, b in zip(ring, ring[1:] + ring[:1])]
    present = set(edges)
    kept = [(a, b) for a, b in edges if (b, a) not in present]
    following = {}
    for a, b in kept:
        following.setdefault(a, []).append(b)
    rings: list[Ring] = []
    while following:
        start = next(iter(following))
        ring, point = [], start
        while point in following:
            ring.append(point)
            nexts = following[point]
            nxt = nexts.pop()
            if not nexts:
                del following[point]
            point = nxt
            if point == start:
                break
        if len(ring) >= 3:
            rings.append(ring)
    return rings


def ring_area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2


def split_south(features_by_id: dict[int, dict], transform: dict) -> None:
    """Move the part of a feature south of a latitude to another feature (SPLIT_SOUTH_OF)."""
    scale_y, translate_y = transform["scale"][1], transform["translate"][1]
    for code, (receiver, latitude) in SPLIT_SOUTH_OF.items():
        donor, target = features_by_id[code], features_by_id[receiver]
        y_cut = (latitude - translate_y) / scale_y
        north, south = [], []
        for rings in donor["polygons"]:
            kept = [r for r in (clip_ring(ring, y_cut, True) for ring in rings[:1]) if r]
            if kept:
                north.append(kept + [h for h in rings[1:] if min(y for _, y in h) >= y_cut])
            south.extend(r for r in (clip_ring(ring, y_cut, False) for ring in rings[:1]) if r)
        donor["polygons"] = north
        for piece in south:
            for rings in target["polygons"]:
                merged = merge_rings(rings[0], piece)
                if len(merged) == 1:  # it touched this polygon: one outline now
                    rings[0] = merged[0]
                    break
            else:
                target["polygons"].append([piece])


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
    split_south(by_id, topology["transform"])
    for feature in features:
        feature["polygons"] = [[delta_encode(r) for r in rings] for rings in feature["polygons"]]
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
