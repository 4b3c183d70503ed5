"""The map every builder starts from: fitted on the zones, with Leaflet from the service.

folium's own asset lists are class attributes shared by every map; they are replaced here on the
map instance only, so maps work on an intranet without internet. The files come from the
XStatic-Leaflet package and are served by the service under :data:`ASSET_PREFIX`.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from geo.maps.markup import MetricScale, PhoneToggles

ASSET_PREFIX = "/static"


def base_map(zones: gpd.GeoDataFrame, tiles: str | None, attribution: str | None) -> folium.Map:
    """An empty folium map centred and fitted on the bounds of ``zones`` (WGS84), with a metric
    scale bar and, on a phone, buttons that show the layer list and the legend, loading Leaflet
    from the service. ``tiles`` is a folium tiles name or a URL template (with
    ``attribution``), or None for no basemap."""
    minx, miny, maxx, maxy = zones.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=tiles, attr=attribution)
    fmap.default_js = [("leaflet", f"{ASSET_PREFIX}/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{ASSET_PREFIX}/leaflet/leaflet.css")]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    fmap.add_child(MetricScale())
    fmap.add_child(PhoneToggles())
    return fmap
