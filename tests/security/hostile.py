"""A world full of hostile text: every field a user, a file or a token holder controls carries
template syntax for Jinja (``{{ }}``, ``{% %}``, ``{# #}``), JavaScript template literals (``${}``,
backticks), markup and ``</script>``. Used by the template-injection tests (server side) and the
browser tests (nothing may run, nothing may be evaluated)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from geo.layers import CAMERAS, INCIDENTS, LIGHTS, PINGS, REPORTS, validate
from geo.timestamps import LOCAL_TZ
from service.auth import create_open311_key, create_token
from service.promises import load_year, record_status
from service.reports import change_status
from service.settings import GeographySettings, MapSettings, PromiseSettings, Settings, StoreSettings
from service.store import Actor, SQLiteStore
from tests.conftest import ROOT, STREETS_FILE, ZONES_FILE


def hostile(tag: str) -> str:
    """A hostile text marked with ``tag``: evaluated, it would read ``TAG-49-TAG-42``, run code
    (``window.__x``) or close a script element."""
    return (f"{tag}-{{{{7*7}}}}-{tag}-{{{{ 6*7 }}}}-{{% if 1 %}}IF{{% endif %}}-{{# c #}}-${{window.__x=1}}-"
            f"`+(window.__x=2)+`-</script><script>window.__x=3</script><img src=x onerror=window.__x=4>")


def evaluated(text: str, tag: str) -> bool:
    """True when ``text`` shows ``tag``'s hostile text evaluated as a template."""
    return f"{tag}-49-" in text or f"{tag}-42-" in text


SSTI = "{{ cycler.__init__.__globals__.os.getcwd() }}"
"""Jinja server-side code execution, as an attacker writes it: evaluated, it shows the server's folder."""

TORG = (12.8578, 56.6744)


def hostile_world(folder: Path) -> Settings:
    """Zones, streets, a promises file and a database in ``folder`` with hostile text in every
    field that can hold text; returns the settings that use them (no basemap, so no network)."""
    zones = json.loads(ZONES_FILE.read_text(encoding="utf-8"))
    for feature in zones["features"]:
        feature["properties"]["name"] = hostile("ZON") + feature["properties"]["zone_id"]
    zones["source"] = hostile("KALLA")
    (folder / "zones.geojson").write_text(json.dumps(zones), encoding="utf-8")
    streets = json.loads(STREETS_FILE.read_text(encoding="utf-8"))
    for feature in streets["features"]:
        feature["properties"]["name"] = hostile("GATA")
    (folder / "streets.geojson").write_text(json.dumps(streets), encoding="utf-8")
    promises = yaml.safe_load((ROOT / "data" / "medborgarloften" / "2020.yaml").read_text(encoding="utf-8"))
    promises["title"], promises["source"] = hostile("TITEL"), hostile("SOURCE")
    promises["parties"] = {k: hostile("PART") for k in promises["parties"]}
    for promise in promises["promises"]:
        promise["text"], promise["how_measured"] = hostile("LOFTE"), hostile("MATT")
        if promise["measure"]["kind"] == "patrol_presence":
            promise["measure"]["counts"]["reason"] = hostile("SKAL")
    (folder / "promises").mkdir()
    (folder / "promises" / "2020.yaml").write_text(yaml.safe_dump(promises, allow_unicode=True), encoding="utf-8")
    programme = yaml.safe_load((ROOT / "data" / "medborgarloften" / "belysningsprogram-2020.yaml").read_text(encoding="utf-8"))
    programme["title"], programme["source"] = hostile("PROGRAM"), hostile("PKALLA")
    for measure in programme["measures"]:
        measure["name"] = hostile("ATGARD")
    (folder / "promises" / "belysningsprogram-2020.yaml").write_text(yaml.safe_dump(programme, allow_unicode=True),
                                                                    encoding="utf-8")

    settings = Settings(store=StoreSettings(db=folder / "hostile.sqlite"), maps=MapSettings(tiles="none"),
                        geography=GeographySettings(zones=folder / "zones.geojson", streets=folder / "streets.geojson"),
                        promises=PromiseSettings(dir=folder / "promises"))
    store = SQLiteStore(settings.store.db)
    day = pd.Timestamp("2020-05-08T21:00:00", tz=LOCAL_TZ)
    store.write_features(INCIDENTS, validate(INCIDENTS, pd.DataFrame(
        [{"id": hostile("BROTT") + str(i), "occurred_at": (day + pd.Timedelta(minutes=i)).isoformat(),
          "category": "stöld", "source": hostile("KALLA"), "lon": TORG[0] + i * 1e-5, "lat": TORG[1]}
         for i in range(12)]), "hostile"))
    store.write_features(LIGHTS, validate(LIGHTS, pd.DataFrame(
        [{"id": hostile("LAMPA") + str(i), "lumen": 5000, "height_m": 6, "status": "working",
          "luminaire": hostile("ARMATUR"), "source": hostile("KALLA"), "lon": TORG[0] + i * 2e-4, "lat": TORG[1]}
         for i in range(5)]), "hostile"))
    store.write_features(REPORTS, validate(REPORTS, pd.DataFrame(
        [{"id": f"r-{i}", "category": category, "description": hostile("BESKRIVNING"),
          "created_at": (day + pd.Timedelta(days=i)).isoformat(), "status": "open", "source": hostile("KALLA"),
          "when": "night" if category == "unsafe_place" else None, "why": "people" if category == "unsafe_place" else None,
          "lon": TORG[0], "lat": TORG[1]}
         for i, category in enumerate(["graffiti", "graffiti", "graffiti", "litter", "unsafe_place", "unsafe_place",
                                       "unsafe_place"])]), "hostile"))
    store.write_features(CAMERAS, validate(CAMERAS, pd.DataFrame(
        [{"id": hostile("KAMERA") + str(i), "name": hostile("KNAMN"), "height_m": 6, "direction_deg": 120 * i,
          "fov_deg": 90, "range_m": 40, "status": status, "source": hostile("KALLA"), "lon": TORG[0] + i * 6e-4,
          "lat": TORG[1]}
         for i, status in enumerate(["proposed", "installed"])]), "hostile"))
    store.write_pings(validate(PINGS, pd.DataFrame({
        "unit_id": hostile("ENHET"), "timestamp": day + pd.to_timedelta(range(0, 1800, 5), unit="s"),
        "mode": "foot", "lon": TORG[0], "lat": TORG[1], "source": hostile("KALLA")}), "hostile"))
    create_token(store, "municipality", hostile("ETIKETT"))
    create_open311_key(store, hostile("KLIENT"))
    record_status(store, load_year(settings.promises.dir, 2020), "evenemang", pd.Timestamp("2020-06-01").date(), "met",
                  hostile("NOTERING"), Actor("municipality", hostile("ETIKETT")))
    change_status(store, "r-0", "closed", Actor("municipality", hostile("ETIKETT")), hostile("ORSAK"))
    return settings


TAGS = ("ZON", "KALLA", "GATA", "TITEL", "SOURCE", "PART", "LOFTE", "MATT", "SKAL", "BROTT", "LAMPA", "ARMATUR",
        "BESKRIVNING", "ENHET", "ETIKETT", "KLIENT", "NOTERING", "ORSAK", "KAMERA", "KNAMN")
