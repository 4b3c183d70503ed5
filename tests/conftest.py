"""Shared fixtures: the project's data files and the optional ../shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.streets import read_streets
from geo.zones import read_zones

ROOT = Path(__file__).resolve().parent.parent
ZONES_FILE = ROOT / "data" / "stadskarna.geojson"
STREETS_FILE = ROOT / "data" / "streets.geojson"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def zones():
    return read_zones(ZONES_FILE)


@pytest.fixture(scope="session")
def streets():
    return read_streets(STREETS_FILE)


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder ../shared/data, or skip: a fresh clone does not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (only on the team's machines)")
    return SHARED_DATA
