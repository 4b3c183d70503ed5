"""/staff/patrols through the real app, signed in as people are: the police upload a GPX track in
the browser (the same use case as POST /api/patrols), see what was stored in Swedish, and a bad
file is refused in Swedish with nothing stored; other roles and anonymous browsers are kept out."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geo.layers import PINGS
from service.app import create_app
from service.settings import MapSettings, Settings, StaffSettings, StoreSettings
from service.staff import add_user
from tests.service.test_api_layers import GPX
from tests.staff import PASSWORD, form_token, sign_in

PAGE = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def app(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "db.gpkg"), maps=MapSettings(tiles="none"),
                        staff=StaffSettings(secure_cookies=False))
    app = create_app(settings)
    for name, role in (("per", "police"), ("maria", "municipality")):
        add_user(app.state.context.store, name, role, PASSWORD, settings.staff, pd.Timestamp.now(tz="UTC"))
    return app


def signed_in(app, name: str) -> tuple[TestClient, str]:
    """A browser signed in as ``name`` and the session's CSRF token for forms."""
    client = TestClient(app, follow_redirects=False, headers=PAGE)
    assert sign_in(client, name).status_code == 303
    return client, form_token(client.get("/staff/patrols") if name == "per" else client.get("/login"))


def test_the_police_upload_a_track_and_read_what_was_stored(app):
    client, token = signed_in(app, "per")
    page = client.get("/staff/patrols")
    assert page.status_code == 200 and '<html lang="sv">' in page.text and "Inga positioner sparade än." in page.text
    assert '<option value="bike">Cykel</option>' in page.text and 'aria-current="page">Patrullspår' in page.text
    upload = {"file": ("pass.gpx", GPX.encode(), "application/gpx+xml")}
    form = {"csrf_token": token, "mode": "bike", "unit": "cykel-9", "crew": "2"}
    first = client.post("/staff/patrols", data=form, files=upload)
    assert first.status_code == 200 and "pass.gpx: 2 punkter lästa, 2 nya sparade." in first.text
    assert "Senaste sparade position: 2020-05-02 21:00." in first.text, "local time"
    pings = app.state.context.store.read_pings()
    assert len(pings) == 2 and set(pings["unit_id"]) == {"cykel-9"}
    again = client.post("/staff/patrols", data=form, files=upload)
    assert "2 punkter lästa, 0 nya sparade, 2 fanns redan." in again.text
    assert app.state.context.store.count(PINGS) == 2


def test_a_bad_file_is_refused_in_swedish_and_nothing_is_stored(app):
    client, token = signed_in(app, "per")
    dtd = GPX.replace('<gpx ', '<!DOCTYPE gpx [<!ENTITY x "y">]><gpx ')
    refused = client.post("/staff/patrols", data={"csrf_token": token, "mode": "foot"},
                          files={"file": ("x.gpx", dtd.encode())})
    assert refused.status_code == 422 and 'id="error"' in refused.text and "DTD" in refused.text
    assert "/tmp" not in refused.text, "never the temporary file"
    wrong = client.post("/staff/patrols", data={"csrf_token": token}, files={"file": ("x.exe", b"MZ")})
    assert wrong.status_code == 422 and ".gpx" in wrong.text and "upload a" not in wrong.text, "Swedish"
    crew = client.post("/staff/patrols", data={"csrf_token": token, "crew": "två"},
                       files={"file": ("pass.gpx", GPX.encode())})
    assert crew.status_code == 422 and "heltal" in crew.text and 'value="två"' in crew.text
    assert app.state.context.store.count(PINGS) == 0


def test_only_the_police_and_only_with_the_form_token(app):
    anonymous = TestClient(app, follow_redirects=False, headers=PAGE)
    assert anonymous.get("/staff/patrols").headers["location"] == "/login?next=%2Fstaff%2Fpatrols"
    municipality, _ = signed_in(app, "maria")
    assert municipality.get("/staff/patrols").status_code == 403
    police, _ = signed_in(app, "per")
    forged = police.post("/staff/patrols", data={"mode": "foot"}, files={"file": ("pass.gpx", GPX.encode())})
    assert forged.status_code == 403
    assert app.state.context.store.count(PINGS) == 0
