"""Folium map builders, one per audience. Importing the package makes branca write rendered markup
as it is (:mod:`geo.maps.markup`), so no data ever becomes template source."""

from geo.maps import markup  # noqa: F401  (applied on import)
