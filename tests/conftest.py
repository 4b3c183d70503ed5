"""Shared fixtures: the project's data files and the optional ../shared reference data."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import uvicorn

from geo.streets import read_streets
from geo.timestamps import LOCAL_TZ
from geo.zones import read_zones

ROOT = Path(__file__).resolve().parent.parent
ZONES_FILE = ROOT / "data" / "stadskarna.geojson"
STREETS_FILE = ROOT / "data" / "streets.geojson"
SHARED_DATA = ROOT.parent / "shared" / "data"


def local_today():
    """Today's date in Halmstad (Europe/Stockholm): the date a staff member means by "today" —
    not the machine's, which in UTC is still yesterday for an hour or two after local midnight."""
    return pd.Timestamp.now(tz=LOCAL_TZ).date()


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


@pytest.fixture
def serve():
    """serve(app) -> base URL of the app running in a background uvicorn server."""
    servers = []

    def start(app) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               proxy_headers=False))  # as `stadskarna serve` runs it
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def gdal_like_connection(path):
    """A plain SQLite connection to a database file with the SQL functions GDAL gives GeoPackages
    (the R-tree triggers call them): another program editing the file, as QGIS would."""
    import sqlite3

    from service.store.gpkg import sql_functions

    con = sqlite3.connect(path)
    for name, (arguments, function) in sql_functions().items():
        con.create_function(name, arguments, function)
    return con
