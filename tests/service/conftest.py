"""The real app, on a temporary database; GDAL's ogrinfo, the real client of the files the service writes."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import GeographySettings, Settings, StoreSettings


@pytest.fixture
def make_settings(tmp_path):
    def make(**geography) -> Settings:
        return Settings(store=StoreSettings(db=tmp_path / "test.sqlite"), geography=GeographySettings(**geography))
    return make


@pytest.fixture
def client(make_settings):
    """The app, asked for English errors (the tests read their English text; Swedish, the default,
    is tested in test_languages.py)."""
    with TestClient(create_app(make_settings()), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def ogrinfo():
    """run(*arguments) -> GDAL's ``ogrinfo`` run on them (text out and err). Skipped where GDAL's
    command line tools are not installed (Debian: gdal-bin) — unless STADSKARNA_REQUIRE_GDAL is
    set, as CI does: then it fails."""
    program = shutil.which("ogrinfo")
    if program is None:
        message = "GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin)"
        if os.environ.get("STADSKARNA_REQUIRE_GDAL"):
            pytest.fail(f"{message}, and STADSKARNA_REQUIRE_GDAL is set")
        pytest.skip(message)

    def run(*arguments: object) -> subprocess.CompletedProcess:
        return subprocess.run([program, *map(str, arguments)], capture_output=True, text=True, timeout=120)

    return run
