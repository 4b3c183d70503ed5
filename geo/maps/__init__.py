"""Folium map builders, one per audience, with escaping of all displayed text."""
