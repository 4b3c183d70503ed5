"""Local Leaflet assets for folium maps, so maps work on an intranet without internet.

folium's own asset lists are class attributes shared by every map; they are replaced here on the
map instance only. The files come from the XStatic-Leaflet package and are served by the service.
"""

from __future__ import annotations

import folium

ASSET_PREFIX = "/static"


def use_local_assets(fmap: folium.Map, prefix: str = ASSET_PREFIX) -> folium.Map:
    """Make ``fmap`` load Leaflet from ``prefix`` (served by the app) instead of public CDNs."""
    fmap.default_js = [("leaflet", f"{prefix}/leaflet/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{prefix}/leaflet/leaflet.css")]
    return fmap
