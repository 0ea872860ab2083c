"""Folium map builders: the project map (parcels as vector tiles, coloured by step).

The map is built server-side with Folium and rendered into parts (head links, map div,
script) that the page template places around its own panels. Every JS/CSS file points at
the app's own ``/static`` (see ``web.assets``); the only basemap shown by default is a
plain offline background, so opening a map sends no request off the machine.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import Figure
from folium.elements import JSCSSMixin
from folium.plugins import VectorGridProtobuf
from folium.template import Template
from folium.utilities import JsCode
from xyzservices import TileProvider

from gis.core.domain import CaseStep
from gis.maps.tiles import DETAIL_MIN_ZOOM
from web.assets import OWN_URL, use_local_assets
from web.i18n import translate

STEP_COLOURS: dict[CaseStep, str] = {
    CaseStep.NOT_STARTED: "#9aa5b1",
    CaseStep.NOTIFIED: "#d7301f",
    CaseStep.INVENTORIED: "#f16913",
    CaseStep.PLAN_POSTED: "#fdae31",
    CaseStep.PLAN_APPROVED: "#e6d800",
    CaseStep.DECIDED: "#8856a7",
    CaseStep.PAID: "#3182bd",
    CaseStep.DECIDED_PAID: "#1c9099",
    CaseStep.HANDED_OVER: "#238b45",
}

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
SATELLITE_URL = ("https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/"
                 "MapServer/tile/{z}/{y}/{x}")

# VectorGrid options as JavaScript: styling and filtering are done client-side from the
# tile properties by gpmb-map.js (GPMB.style), so a filter change needs no new tiles.
_GRID_OPTIONS = """{
    "rendererFactory": L.canvas.tile,
    "interactive": true,
    "maxNativeZoom": 18,
    "maxZoom": 21,
    "getFeatureId": function (f) {
        return f.properties.parcel_id !== undefined ? f.properties.parcel_id
                                                    : "c" + f.properties.commune;
    },
    "vectorTileLayerStyles": {
        "parcels": function (p, z) { return GPMB.style(p, z); },
        "communes": function (p, z) { return GPMB.communeStyle(p, z); }
    }
}"""


class MapBridge(JSCSSMixin, folium.MacroElement):
    """Loads gpmb-map.js/css and hands it the map, the parcel grid and the page config."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        GPMB.attach({{ this._parent.get_name() }}, {{ this.grid.get_name() }},
                    {{ this.config | tojson }});
        {% endmacro %}
    """)
    default_js = [("gpmb_map", f"{OWN_URL}/gpmb-map.js")]  # noqa: RUF012
    default_css = [("gpmb_map_css", f"{OWN_URL}/gpmb-map.css")]  # noqa: RUF012

    def __init__(self, grid: VectorGridProtobuf, config: dict[str, Any]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MapBridge"
        self.grid = grid
        self.config = config


@dataclass(frozen=True)
class MapParts:
    """A rendered Folium map split for a page template."""

    head: str
    body: str
    script: str


def _style(colour: str, weight: float, fill: float, dash: str | None = None) -> Any:
    style = {"color": colour, "weight": weight, "fillColor": colour, "fillOpacity": fill}
    if dash:
        style["dashArray"] = dash
    return lambda _feature: style


def _label(field: str, direction: str, css_class: str) -> JsCode:
    """A permanent tooltip per feature (the Km labels are thinned to those that do not
    collide, whole tens first, by gpmb-map.js after every zoom)."""
    return JsCode(f"""function (f, layer) {{
        layer.bindTooltip(String(f.properties.{field}), {{permanent: true,
            direction: "{direction}", className: "{css_class}"}});
    }}""")


def build_project_map(*, bounds: tuple[float, float, float, float], tile_url: str,
                      layers: dict[str, dict[str, Any]], communes: dict[str, Any],
                      config: dict[str, Any], lang: str = "vi") -> folium.Map:
    """The project map: offline background, communes, right-of-way, centreline with Km
    markers and the parcels from vector tiles, with a layer control (names in ``lang``)."""
    def _(text: str) -> str:
        return translate(text, lang)

    use_local_assets()
    south, west, north, east = bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                      control_scale=True, min_zoom=7, max_zoom=21)
    # No initial zoom: Leaflet then adds no layer (and asks for no tile) until a view is
    # set, which gpmb-map.js does once, from a shared link's #map=z/lat/lon or by fitting
    # the project's bounds to the map's real size, so the first tiles are the right ones.
    del fmap.options["zoom"]
    folium.FeatureGroup(name=_("Nền trơn (không cần Internet)"), overlay=False).add_to(fmap)
    # As providers, not URL strings: Folium would search all of xyzservices for a
    # string's name first (~20 ms each).
    folium.TileLayer(TileProvider(name="osm", url=OSM_URL, attribution="© OpenStreetMap"),
                     name=_("OpenStreetMap (cần Internet)"), attr="© OpenStreetMap",
                     overlay=False, show=False, max_zoom=21, max_native_zoom=19).add_to(fmap)
    folium.TileLayer(TileProvider(name="esri", url=SATELLITE_URL, attribution="Esri, Maxar"),
                     name=_("Ảnh vệ tinh (cần Internet)"), attr="Esri, Maxar",
                     overlay=False, show=False, max_zoom=21, max_native_zoom=18).add_to(fmap)

    folium.GeoJson(
        communes, name=_("Ranh giới xã (gần đúng)"),
        style_function=_style("#6b7280", 1.2, 0, "6 4"), interactive=False,
        on_each_feature=_label("name", "center", "gpmb-commune-label"),
    ).add_to(fmap)
    folium.GeoJson(layers["footprint"], name=_("Phạm vi thu hồi (chỉ giới)"),
                   style_function=_style("#c2410c", 1.5, 0.06), interactive=False).add_to(fmap)
    axis = folium.FeatureGroup(name=_("Tim tuyến và lý trình Km")).add_to(fmap)
    folium.GeoJson(layers["centreline"], style_function=_style("#b91c1c", 2, 0, "10 6"),
                   interactive=False).add_to(axis)
    if layers["km"]["features"]:
        folium.GeoJson(
            layers["km"],
            marker=folium.CircleMarker(radius=3, color="#b91c1c", fill=True, fill_opacity=1),
            on_each_feature=_label("label", "right", "gpmb-km-label"),
        ).add_to(axis)

    grid = VectorGridProtobuf(tile_url, _("Thửa đất theo bước GPMB"), _GRID_OPTIONS)
    grid.add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    MapBridge(grid, {**config, "detailMinZoom": DETAIL_MIN_ZOOM,
                     "bounds": [[south, west], [north, east]],
                     "colours": {s.value: c for s, c in STEP_COLOURS.items()}}).add_to(fmap)
    return fmap


def render_parts(fmap: folium.Map) -> MapParts:
    """Render a map into head links/styles, the map's div and its script."""
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    for child in list(figure._children.values()):
        child.render()
    return MapParts(head=figure.header.render(), body=figure.html.render(),
                    script=figure.script.render())


RENDERED_MAPS = 32  # rendered project maps kept (~130 KB each)
_rendered: OrderedDict[str, MapParts] = OrderedDict()
_rendered_lock = threading.Lock()


def project_map_parts(*, bounds: tuple[float, float, float, float], tile_url: str,
                      layers: dict[str, dict[str, Any]], communes: dict[str, Any],
                      config: dict[str, Any], lang: str = "vi") -> MapParts:
    """``build_project_map`` rendered, reused while its inputs are the same.

    Folium compiles its templates on every render (~100 ms for this map), so the parts
    are kept by a digest of everything the map is made of: new alignments, cases
    (bounds), boundaries, labels or language give a new digest and a fresh render."""
    inputs = json.dumps([bounds, tile_url, layers, communes, config, lang], sort_keys=True,
                        default=str)
    key = hashlib.blake2b(inputs.encode(), digest_size=20).hexdigest()
    with _rendered_lock:
        parts = _rendered.get(key)
        if parts is not None:
            _rendered.move_to_end(key)
            return parts
    parts = render_parts(build_project_map(bounds=bounds, tile_url=tile_url, layers=layers,
                                           communes=communes, config=config, lang=lang))
    with _rendered_lock:
        _rendered[key] = parts
        while len(_rendered) > RENDERED_MAPS:
            _rendered.popitem(last=False)
    return parts
