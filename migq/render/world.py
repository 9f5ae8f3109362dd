"""World geometry for the response map: the bundled 50m atlas, the Equal Earth projection, and
which recipient is drawn as a polygon and which as a dot. No matplotlib here."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from migq.errors import MigqError

ATLAS_FILE = "world-50m.json"
EARTH_RADIUS_KM = 6371.0088
# When a State's largest island or mainland is below this area it is too small to show its
# colour at report size, so it also gets a dot. 10,000 km2 keeps Lebanon, Jamaica and Fiji's
# Viti Levu as shapes and puts Cyprus, Brunei, the Bahamas and Vanuatu among the dots.
SMALL_STATE_KM2 = 10_000.0
SOUTH_CROP_LAT = -58.0  # below Cape Horn and South Georgia; Antarctica is not shown

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection (Šavrič, Patterson and Jenny, 2018) on the unit sphere."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


@dataclass(frozen=True)
class Shape:
    """One atlas feature, projected. `code` is the M49 code whose colour it takes, if any."""

    atlas_id: int | None
    name: str
    code: int | None
    rings: tuple[tuple[tuple[float, float], ...], ...]  # exterior rings and holes, projected
    area_km2: float
    largest_km2: float  # its largest single polygon: what decides whether the shape can be seen
    anchor: tuple[float, float]  # projected centroid of the largest polygon


@dataclass(frozen=True)
class World:
    shapes: tuple[Shape, ...]
    dot_positions: Mapping[int, tuple[float, float]]  # M49 -> projected point
    source: str


def _ring_area_and_centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    twice_area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        cross = x1 * y2 - x2 * y1
        twice_area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if twice_area == 0:
        xs, ys = zip(*ring)
        return 0.0, sum(xs) / len(xs), sum(ys) / len(ys)
    return twice_area / 2, cx / (3 * twice_area), cy / (3 * twice_area)


def _decode_ring(deltas: list[int], scale: list[float], translate: list[float]):
    """Integer deltas -> lon/lat points with longitudes unwrapped, so a ring that crosses the
    antimeridian (Russia's Chukotka, a Fiji island) runs past ±180° instead of jumping across."""
    x = y = 0
    ring: list[tuple[float, float]] = []
    for i in range(0, len(deltas), 2):
        x += deltas[i]
        y += deltas[i + 1]
        lon, lat = x * scale[0] + translate[0], y * scale[1] + translate[1]
        if ring:
            lon += 360.0 * round((ring[-1][0] - lon) / 360.0)
        ring.append((lon, lat))
    return ring


def _clip(ring: list[tuple[float, float]], edge: float, keep_below: bool):
    """Sutherland-Hodgman: keep the part of a lon/lat ring on one side of the meridian `edge`."""
    inside = (lambda p: p[0] <= edge) if keep_below else (lambda p: p[0] >= edge)
    clipped = []
    for current, following in zip(ring, ring[1:] + ring[:1]):
        if inside(current):
            clipped.append(current)
        if inside(current) != inside(following):
            t = (edge - current[0]) / (following[0] - current[0])
            clipped.append((edge, current[1] + t * (following[1] - current[1])))
    return clipped


def _split_antimeridian(ring: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    lons = [p[0] for p in ring]
    if -180.0 <= min(lons) and max(lons) <= 180.0:
        return [ring]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        moved = [(lon + shift, lat) for lon, lat in ring]
        piece = _clip(_clip(moved, 180.0, keep_below=True), -180.0, keep_below=False)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def _densify(ring: list[tuple[float, float]], step: float = 1.0) -> list[tuple[float, float]]:
    """Add points along long straight borders (the 49th parallel, 141°W) so they follow the
    projection's curved meridians instead of cutting chords."""
    dense = []
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        dense.append((x1, y1))
        parts = int(max(abs(x2 - x1), abs(y2 - y1)) / step)
        dense.extend(
            (x1 + (x2 - x1) * k / parts, y1 + (y2 - y1) * k / parts) for k in range(1, parts)
        )
    return dense


def _project_ring(deltas: list[int], scale: list[float], translate: list[float]):
    pieces = _split_antimeridian(_decode_ring(deltas, scale, translate))
    return [[equal_earth(lon, lat) for lon, lat in _densify(piece)] for piece in pieces]


@lru_cache(maxsize=1)
def load_world() -> World:
    """Read and project the bundled atlas once per process."""
    try:
        text = resources.files("migq.data").joinpath(ATLAS_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise MigqError(
            f"The world map data ({ATLAS_FILE}) is missing from the migq package.",
            hint="Reinstall migq, or rebuild it with scripts/build_world.py (see docs/map.md).",
        ) from exc
    data = json.loads(text)
    scale, translate = data["transform"]["scale"], data["transform"]["translate"]
    shapes = []
    for feature in data["features"]:
        rings, total, best = [], 0.0, (0.0, 0.0, 0.0)
        for polygon in feature["polygons"]:
            decoded = [piece for r in polygon for piece in _project_ring(r, scale, translate)]
            rings.extend(tuple(r) for r in decoded)
            areas = [_ring_area_and_centroid(r) for r in decoded]
            # The atlas winds exteriors one way and holes the other: a signed sum nets out holes.
            polygon_area = abs(sum(a for a, _, _ in areas))
            total += polygon_area
            if polygon_area >= best[0]:
                best = (polygon_area, areas[0][1], areas[0][2])
        code = feature["follows"] if feature["follows"] is not None else feature["id"]
        shapes.append(
            Shape(
                atlas_id=feature["id"],
                name=feature["name"],
                code=code,
                rings=tuple(rings),
                area_km2=total * EARTH_RADIUS_KM**2,
                largest_km2=best[0] * EARTH_RADIUS_KM**2,
                anchor=(best[1], best[2]),
            )
        )
    dots = {int(k): equal_earth(v["lon"], v["lat"]) for k, v in data["dot_positions"].items()}
    return World(shapes=tuple(shapes), dot_positions=dots, source=data["source"])


def largest_pieces(world: World) -> dict[int, float]:
    """Area of the largest single polygon per M49 code, over every feature taking its colour.
    The largest piece, not the total, decides visibility: the Bahamas' 14,000 km2 are spread
    over islands each too small to show a colour."""
    largest: dict[int, float] = {}
    for shape in world.shapes:
        if shape.code is not None:
            largest[shape.code] = max(largest.get(shape.code, 0.0), shape.largest_km2)
    return largest


def dot_anchor(world: World, code: int) -> tuple[float, float] | None:
    """Where a State's dot goes: a fixed position if the data gives one, else the centroid of
    its largest island among its own features (not the ones that follow it)."""
    if code in world.dot_positions:
        return world.dot_positions[code]
    own = [s for s in world.shapes if s.atlas_id == code] or [
        s for s in world.shapes if s.code == code
    ]
    return max(own, key=lambda s: s.area_km2).anchor if own else None


def coverage(states: Mapping[str, int], small_state_km2: float = SMALL_STATE_KM2) -> dict:
    """How each recipient is drawn: `polygon` (large enough to see), `dot` (tiny or absent from
    the atlas, drawn as a dot; tiny ones keep their outline too), `missing` (not drawable)."""
    world = load_world()
    areas = largest_pieces(world)
    result: dict[str, list[str]] = {"polygon": [], "dot": [], "missing": []}
    for iso3, code in sorted(states.items()):
        area = areas.get(int(code))
        if area is not None and area >= small_state_km2:
            result["polygon"].append(iso3)
        elif dot_anchor(world, int(code)) is not None:
            result["dot"].append(iso3)
        else:
            result["missing"].append(iso3)
    return result


def map_frame() -> tuple[float, float, float, float]:
    """(xmin, xmax, ymin, ymax) of the projected, cropped world."""
    x_max, _ = equal_earth(180.0, 0.0)
    _, y_top = equal_earth(0.0, 90.0)
    _, y_bottom = equal_earth(0.0, SOUTH_CROP_LAT)
    return -x_max, x_max, y_bottom, y_top


def outline() -> list[tuple[float, float]]:
    """The edge of the projected world (the ±180° meridians and the poles line), cropped south."""
    lats = [SOUTH_CROP_LAT + i * (90.0 - SOUTH_CROP_LAT) / 60 for i in range(61)]
    east = [equal_earth(180.0, lat) for lat in lats]
    west = [equal_earth(-180.0, lat) for lat in reversed(lats)]
    return east + west


def spread_dots(
    anchors: Mapping[str, tuple[float, float]], min_gap: float, rounds: int = 150
) -> dict[str, tuple[float, float]]:
    """Push apart dots closer than `min_gap` (map units) so each stays visible: San Marino and
    the Holy See, or the Lesser Antilles, would otherwise hide one another. Deterministic."""
    keys = sorted(anchors)
    pos = {k: list(anchors[k]) for k in keys}
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                (ax, ay), (bx, by) = pos[a], pos[b]
                dx, dy = bx - ax, by - ay
                dist = math.hypot(dx, dy)
                if dist >= min_gap:
                    continue
                if dist == 0:  # same spot: split along a fixed direction
                    dx, dy, dist = 0.0, 1.0, 1.0
                push = (min_gap - dist) / 2 * 1.02
                ux, uy = dx / dist, dy / dist
                pos[a][0], pos[a][1] = ax - ux * push, ay - uy * push
                pos[b][0], pos[b][1] = bx + ux * push, by + uy * push
                moved = True
        if not moved:
            break
    return {k: (v[0], v[1]) for k, v in pos.items()}
