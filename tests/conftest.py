"""Shared fixtures: the project's data files and the optional ../shared reference data."""

from __future__ import annotations

import os
import pickle
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pytest
import uvicorn
from typer.testing import CliRunner

from geo.streets import read_streets
from geo.timestamps import LOCAL_TZ
from geo.zones import read_zones

ROOT = Path(__file__).resolve().parent.parent
ZONES_FILE = ROOT / "data" / "stadskarna.geojson"
STREETS_FILE = ROOT / "data" / "streets.geojson"
SHARED_DATA = ROOT.parent / "shared" / "data"
T = TypeVar("T")


def local_today():
    """Today's date in Halmstad (Europe/Stockholm): the date a staff member means by "today" —
    not the machine's, which in UTC is still yesterday for an hour or two after local midnight."""
    return pd.Timestamp.now(tz=LOCAL_TZ).date()


@pytest.fixture(autouse=True)
def english_locale(monkeypatch):
    """Every test runs in an English locale (``C.UTF-8``), whatever the machine's: the command line
    prints English, the language the tests read; a test asks for Swedish with
    ``tests.languages.SWEDISH_LOCALE``."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="session")
def zones():
    return read_zones(ZONES_FILE)


@pytest.fixture(scope="session")
def streets():
    return read_streets(STREETS_FILE)


TIMED_FILES = ("tests/service/test_load.py", "tests/benchmarks/test_smoke.py")
"""Tests that time a server against itself: under pytest-xdist one worker runs them one after another."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's ``--dist loadfile`` (each test file on one worker, so its module fixtures are
    made once), with :data:`TIMED_FILES` as one unit. (pytest-xdist's own ``xdist_group`` marks do
    not group under pytest 9: xdist 3.8 renames the node ids, which pytest 9 no longer lets it.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class TimedTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            return "timed" if scope in TIMED_FILES else scope

    return TimedTogether(config, log)


def once_per_run(tmp_path_factory, name: str, make: Callable[[Path], T]) -> T:
    """``make(folder)``, made once per run in a new temporary folder: under pytest-xdist once for
    all the run's workers (the first makes it in a folder they share and pickles it; the others
    wait for it, then read it)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return make(tmp_path_factory.mktemp(name))
    from filelock import FileLock

    folder = tmp_path_factory.getbasetemp().parent / name
    made = folder / "made.pickle"
    with FileLock(f"{folder}.lock"):
        if not made.exists():
            folder.mkdir(exist_ok=True)
            value = make(folder)
            made.write_bytes(pickle.dumps(value))
            return value
    return pickle.loads(made.read_bytes())


@pytest.fixture(scope="session")
def demo_year(tmp_path_factory, zones, streets):
    """The synthetic demo year 2020 (seed 2020) over the centre, made once per run (seconds):
    shared by every test that asks for it, so never change its frames."""
    from geo.demo import demo_data

    return once_per_run(tmp_path_factory, "demo-year-frames", lambda folder: demo_data(zones, streets))


@dataclass(frozen=True)
class DemoLoad:
    """`stadskarna demo` run once: the database it filled and what it printed."""

    db: Path
    output: str


@pytest.fixture(scope="session")
def demo_loaded(tmp_path_factory, demo_year) -> DemoLoad:
    """`stadskarna demo --db demo.sqlite` run once per run into a new database (the command's own
    work: storing the demo years 2020 and 2021, keeping the presence per unit-day), with the demo
    year 2020 made above (tests/geo/test_demo.py makes the year again and compares); 2021 is made
    by the command (a second). Never change its database: copy it (``demo_year_db``)."""
    import geo.demo
    from service.cli import app

    real_demo_data = geo.demo.demo_data

    def made_once(zones, streets, year: int = 2020, seed: int = 2020, progress=None, with_pings: bool = True,
                  options=None):
        assert with_pings and progress is not None
        if (year, seed) != (2020, 2020):
            return real_demo_data(zones, streets, year, seed, progress, with_pings, options)
        progress("pings", 1.0)
        return demo_year

    def load(folder: Path) -> DemoLoad:
        db = folder / "demo.sqlite"
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(geo.demo, "demo_data", made_once)
            result = CliRunner().invoke(app, ["demo", "--db", str(db)], env={"COLUMNS": "250"})
        assert result.exit_code == 0, result.output
        return DemoLoad(db, result.output)

    return once_per_run(tmp_path_factory, "demo-year", load)


@pytest.fixture(scope="session")
def demo_year_db(demo_loaded):
    """copy(folder) -> a new database file in ``folder`` holding the demo years as
    `stadskarna demo` leaves it (presence kept with the default rules). The year is stored once
    per run; each call copies it (the store's own backup), so a test may change its copy."""
    from service.store import SQLiteStore

    master = SQLiteStore(demo_loaded.db)

    def copy(folder: Path) -> Path:
        return master.backup_to(folder / "demo.sqlite")

    return copy


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder ../shared/data, or skip: a fresh clone does not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (only on the team's machines)")
    return SHARED_DATA


def start_server(app) -> tuple[str, Callable[[], None]]:
    """The app running in a background uvicorn server: its base URL, and how to stop it."""
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

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


def _serving():
    """start(app) -> base URL of the app in a background uvicorn server; the servers stop after."""
    stops = []

    def start(app) -> str:
        url, stop = start_server(app)
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def serve():
    """serve(app) -> base URL of the app running in a background uvicorn server."""
    yield from _serving()


@pytest.fixture(scope="module")
def serve_module():
    """serve(app) for a module's tests: the servers run until the module's last test."""
    yield from _serving()


def gdal_like_connection(path):
    """A plain SQLite connection to a database file with the SQL functions GDAL gives GeoPackages
    (the R-tree triggers call them): another program editing the file, as QGIS would."""
    import sqlite3

    from service.store.gpkg import sql_functions

    con = sqlite3.connect(path)
    for name, (arguments, function) in sql_functions().items():
        con.create_function(name, arguments, function)
    return con
