"""The real app, on a temporary database."""

from __future__ import annotations

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
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client
