"""Pure geospatial domain and computation for Trygg stadskärna (no web, no SQL)."""
