"""The response map: every recipient drawn, replied States grey, three formats written and read."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from migq.errors import MigqError, UsageError
from migq.dates import long_date
from migq.render.map import MapStyle, coverage, draw_response_map
from migq.render.world import load_world, spread_dots

# Fallback when the registry is not importable: the 195 recipients as ISO3:M49.
RECIPIENTS_195 = """
AFG:4 ALB:8 DZA:12 AND:20 AGO:24 ATG:28 ARG:32 ARM:51 AUS:36 AUT:40 AZE:31 BHS:44 BHR:48 BGD:50
BRB:52 BLR:112 BEL:56 BLZ:84 BEN:204 BTN:64 BOL:68 BIH:70 BWA:72 BRA:76 BRN:96 BGR:100 BFA:854
BDI:108 CPV:132 KHM:116 CMR:120 CAN:124 CAF:140 TCD:148 CHL:152 CHN:156 COL:170 COM:174 COG:178
CRI:188 CIV:384 HRV:191 CUB:192 CYP:196 CZE:203 PRK:408 COD:180 DNK:208 DJI:262 DMA:212 DOM:214
ECU:218 EGY:818 SLV:222 GNQ:226 ERI:232 EST:233 SWZ:748 ETH:231 FJI:242 FIN:246 FRA:250 GAB:266
GMB:270 GEO:268 DEU:276 GHA:288 GRC:300 GRD:308 GTM:320 GIN:324 GNB:624 GUY:328 HTI:332 HND:340
HUN:348 ISL:352 IND:356 IDN:360 IRN:364 IRQ:368 IRL:372 ISR:376 ITA:380 JAM:388 JPN:392 JOR:400
KAZ:398 KEN:404 KIR:296 KWT:414 KGZ:417 LAO:418 LVA:428 LBN:422 LSO:426 LBR:430 LBY:434 LIE:438
LTU:440 LUX:442 MDG:450 MWI:454 MYS:458 MDV:462 MLI:466 MLT:470 MHL:584 MRT:478 MUS:480 MEX:484
FSM:583 MCO:492 MNG:496 MNE:499 MAR:504 MOZ:508 MMR:104 NAM:516 NRU:520 NPL:524 NLD:528 NZL:554
NIC:558 NER:562 NGA:566 MKD:807 NOR:578 OMN:512 PAK:586 PLW:585 PAN:591 PNG:598 PRY:600 PER:604
PHL:608 POL:616 PRT:620 QAT:634 KOR:410 MDA:498 ROU:642 RUS:643 RWA:646 KNA:659 LCA:662 VCT:670
WSM:882 SMR:674 STP:678 SAU:682 SEN:686 SRB:688 SYC:690 SLE:694 SGP:702 SVK:703 SVN:705 SLB:90
SOM:706 ZAF:710 SSD:728 ESP:724 LKA:144 SDN:729 SUR:740 SWE:752 CHE:756 SYR:760 TJK:762 THA:764
TLS:626 TGO:768 TON:776 TTO:780 TUN:788 TUR:792 TKM:795 TUV:798 UGA:800 UKR:804 ARE:784 GBR:826
TZA:834 USA:840 URY:858 UZB:860 VUT:548 VEN:862 VNM:704 YEM:887 ZMB:894 ZWE:716 VAT:336 PSE:275
"""

AS_OF = date(2008, 6, 30)
REPLIED = {"FRA", "CAN", "MEX", "CHN", "MLT", "TUV", "VAT", "PSE", "SRB"}
SVG_NS = {"svg": "http://www.w3.org/2000/svg"}
GREY = MapStyle().replied_color


def _states() -> dict[str, int]:
    try:
        from migq.registry import load_roster
    except ImportError:
        load_roster = None
    if load_roster is not None:
        return {r.iso3: r.m49 for r in load_roster().recipients}
    pairs = (item.split(":") for item in RECIPIENTS_195.split())
    return {iso3: int(code) for iso3, code in pairs}


@pytest.fixture(scope="module")
def states() -> dict[str, int]:
    return _states()


@pytest.fixture(scope="module")
def svg_bytes(states, tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("map") / "replies.svg"
    data = draw_response_map(states, REPLIED, AS_OF, out)
    assert out.read_bytes() == data
    return data


def _fills(svg: bytes) -> dict[str, set[str]]:
    """Fill colours found under each element carrying an id (the artists' gids)."""
    root = ET.fromstring(svg)
    fills: dict[str, set[str]] = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        gid = group.get("id")
        if not gid:
            continue
        for node in group.iter():
            for part in (node.get("style") or "").split(";"):
                key, _, value = part.partition(":")
                if key.strip() == "fill":
                    fills.setdefault(gid, set()).add(value.strip())
    return fills


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, migq.render.map; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_every_recipient_is_drawn_as_a_shape_or_a_dot(states):
    drawn = coverage(states)
    assert len(states) == 195
    assert drawn["missing"] == []
    assert sorted(drawn["polygon"] + drawn["dot"]) == sorted(states)
    assert "TUV" in drawn["dot"]  # absent from the 50m atlas
    assert {"VAT", "MCO", "SMR", "NRU", "MDV"} <= set(drawn["dot"])
    assert {"FRA", "BRA", "RUS", "LBN", "FJI"} <= set(drawn["polygon"])


def test_svg_marks_replied_states_grey_and_carries_title_and_note(svg_bytes, states):
    fills = _fills(svg_bytes)
    drawn = coverage(states)
    for iso3 in drawn["polygon"]:
        assert iso3 in fills, f"{iso3} has no shape in the SVG"
    for iso3 in drawn["dot"]:
        assert f"{iso3}-dot" in fills, f"{iso3} has no dot in the SVG"
    assert GREY in fills["FRA"] and "#ffffff" not in fills["FRA"]
    assert fills["BRA"] == {"#ffffff"}
    assert GREY in fills["TUV-dot"] and GREY in fills["VAT-dot"]
    assert "#ffffff" in fills["NRU-dot"] and GREY not in fills["NRU-dot"]
    # Kosovo follows Serbia and Taiwan Province of China follows China: one artist each.
    assert fills["SRB"] == {GREY} and fills["CHN"] == {GREY}

    texts = " ".join(t.text or "" for t in ET.fromstring(svg_bytes).iterfind(".//svg:text", SVG_NS))
    assert "States whose replies had been received by 30 June 2008" in texts
    assert "Replied by 30 June 2008" in texts and "No reply" in texts
    assert "do not imply official endorsement or acceptance by the United Nations" in texts


def test_svg_output_is_reproducible(svg_bytes, states):
    assert draw_response_map(states, REPLIED, AS_OF, None, fmt="svg") == svg_bytes


def test_png_is_written_at_the_requested_size(states, tmp_path):
    import matplotlib.image

    out = tmp_path / "replies.png"
    data = draw_response_map(states, REPLIED, AS_OF, out, MapStyle(dpi=60))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(out)
    assert pixels.shape[:2] == (round(5.2 * 60), 10 * 60)


def test_pdf_in_french_via_format_option(states, tmp_path):
    out = tmp_path / "carte"  # no suffix: the format option decides
    data = draw_response_map(states, REPLIED, AS_OF, out, MapStyle(lang="fr"), fmt="pdf")
    assert out.read_bytes() == data and data.startswith(b"%PDF")


def test_french_svg_title_and_custom_title(states):
    french = draw_response_map(
        states, set(), date(2008, 7, 1), None, MapStyle(lang="fr"), fmt="svg"
    ).decode()
    assert "États Membres dont les réponses ont été reçues au 1er juillet 2008" in french
    assert "Les frontières indiquées sur la carte" in french
    custom = draw_response_map(states, set(), AS_OF, None, title="Replies so far", fmt="svg")
    assert "Replies so far" in custom.decode()


def test_dates_read_as_in_the_report():
    assert long_date(AS_OF, "en") == "30 June 2008"
    assert long_date(AS_OF, "fr") == "30 juin 2008"
    assert long_date(AS_OF, "es") == "30 de junio de 2008"


def test_bad_requests_say_what_to_do(states, tmp_path):
    with pytest.raises(UsageError, match="png, svg, pdf"):
        draw_response_map(states, set(), AS_OF, tmp_path / "map.gif")
    with pytest.raises(UsageError, match="en, fr or es"):
        draw_response_map(states, set(), AS_OF, None, MapStyle(lang="ru"))
    with pytest.raises(MigqError, match="XKX"):
        draw_response_map(states, {"XKX"}, AS_OF, None)


def test_no_shape_jumps_across_the_antimeridian():
    # Russia and Fiji cross ±180°; their rings must be cut at the map edge, not drawn across it.
    world = load_world()
    for shape in world.shapes:
        for ring in shape.rings:
            steps = zip(ring, ring[1:] + ring[:1])
            assert all(abs(a[0] - b[0]) < 1.0 for a, b in steps), shape.name


def test_dots_on_the_same_spot_are_pushed_apart():
    placed = spread_dots({"SMR": (0.0, 0.0), "VAT": (0.0, 0.0), "MCO": (0.001, 0.0)}, 0.01)
    points = list(placed.values())
    for i, (ax, ay) in enumerate(points):
        for bx, by in points[i + 1 :]:
            assert ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 >= 0.0099


def _inside(point, ring) -> bool:
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def _owners(world, lon, lat) -> set[int | None]:
    from migq.render.world import equal_earth

    point = equal_earth(lon, lat)
    return {s.code for s in world.shapes if any(_inside(point, ring) for ring in s.rings)}


@pytest.mark.parametrize("lon, lat, place", [
    (-13.20, 27.15, "Laayoune"), (-11.66, 26.74, "Smara"), (-14.40, 26.13, "Boujdour"),
    (-13.50, 24.80, "west of the berm, south"), (-10.57, 26.16, "Tifariti, east of the berm"),
    (-9.57, 26.35, "Bir Lehlou, east of the berm"),
])
def test_western_sahara_is_its_own_territory_never_part_of_morocco(lon, lat, place):
    # Natural Earth draws the area west of the berm inside Morocco; a UN map may not.
    owners = _owners(load_world(), lon, lat)
    assert owners == {732}, f"{place} is drawn as part of {owners}"


def test_morocco_keeps_its_own_territory_north_of_27_40():
    assert _owners(load_world(), -7.6, 33.6) == {504}  # Casablanca
    assert _owners(load_world(), -11.0, 28.2) == {504}  # Tan-Tan, just north of the boundary
