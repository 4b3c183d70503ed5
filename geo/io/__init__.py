"""Readers and writers of external formats into validated GeoDataFrames."""
