"""The store contract runs against every backend: the embedded GeoPackage always, PostGIS when a
throwaway cluster is given in ``STADSKARNA_TEST_DATABASE_URL`` (``.ci/run`` starts one; there the
PostGIS runs must not be skipped: ``STADSKARNA_REQUIRE_POSTGIS=1`` makes a missing one an error)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.store import SQLiteStore, SQLStore
from service.store.postgis import PostGISDialect

BACKENDS = ("geopackage", "postgis")


def postgis_url() -> str:
    """The test cluster's URL, or skip (fail where CI requires PostGIS)."""
    url = os.environ.get("STADSKARNA_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("STADSKARNA_REQUIRE_POSTGIS"):
            pytest.fail("STADSKARNA_REQUIRE_POSTGIS is set but STADSKARNA_TEST_DATABASE_URL is not")
        pytest.skip("no PostGIS test cluster (set STADSKARNA_TEST_DATABASE_URL; .ci/run starts one)")
    return url


class Backends:
    """Opens stores on a backend, each in a database of its own (a schema of its own in PostGIS),
    and removes them afterwards."""

    def __init__(self, kind: str, folder) -> None:
        self.kind, self.folder, self.stores, self.schemas = kind, folder, [], []

    def open(self, busy_timeout_s: float = 5.0, name: str | None = None):
        if self.kind == "geopackage":
            store = SQLiteStore(self.folder / f"{name or uuid.uuid4().hex}.gpkg", busy_timeout_s)
        else:
            schema = name or f"contract_{uuid.uuid4().hex[:12]}"
            if schema not in self.schemas:
                with create_engine(make_url(postgis_url()).set(drivername="postgresql+psycopg")).begin() as con:
                    con.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                self.schemas.append(schema)
            url = make_url(postgis_url()).update_query_dict({"options": f"-csearch_path={schema},public"})
            store = SQLStore(PostGISDialect(url.render_as_string(hide_password=False), busy_timeout_s))
        self.stores.append(store)
        return store

    def close(self) -> None:
        for store in self.stores:
            store.close()
        if self.schemas:
            with create_engine(make_url(postgis_url()).set(drivername="postgresql+psycopg")).begin() as con:
                for schema in self.schemas:
                    con.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def backends(request, tmp_path):
    if request.param == "postgis":
        postgis_url()
    opened = Backends(request.param, tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def store(backends):
    return backends.open()
