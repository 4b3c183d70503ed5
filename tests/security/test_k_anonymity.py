"""Citizens' pins cannot be located from public aggregates: every public count of citizen reports
and unsafe-place pins below k (``Settings().privacy.min_count``, 3 here) is suppressed — the
planner map leaves the cell out, JSON gives null (with ``suppressed_below``), pages say "färre
än 3" — and a suppressed count is never given back by another public figure (a total minus the
shown counts, a four-week mean, a score, a reason, an event's comparison, a difference-in-differences). Staff tokens keep exact figures on the JSON
endpoints; the pages are public and always suppressed."""

from __future__ import annotations

import re

import folium
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings as hsettings, strategies as st

from geo.events import suppress_reports
from geo.layers import FAULT_CATEGORIES, INCIDENTS, REPORTS, validate
from geo.lagesbild import week_picture
from geo.purple_flag import BANDS, WHOLE_NIGHT, fault_reports
from geo.publish import grid_counts, suppress_small, unsafe_places_per_zone
from geo.zones import zone_of
from service.app import create_app
from service.auth import create_token
from service.maps import build_map
from service.settings import GeographySettings, ReportSettings, Settings, StoreSettings
from tests.conftest import local_today

K = 3
TORG = (12.8578, 56.6744)          # Stora Torg (lon, lat)
STATION = (12.8640, 56.6700)       # Resecentrum
NISSAN = (12.86144, 56.67465)      # Nissan och kajerna
WHY = ["lighting", "people", "hidden_view", "traffic", "other"]


@pytest.fixture
def client(tmp_path):
    settings = Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), geography=GeographySettings(),
                        reports=ReportSettings(rate_limit=1000))
    assert settings.privacy.min_count == K, "the default k (STADSKARNA_PRIVACY_MIN_COUNT unset)"
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def staff(client, role: str = "planner") -> dict:
    return {"Authorization": f"Bearer {create_token(client.app.state.context.store, role)}"}


def post(client, category: str, where: tuple[float, float], n: int = 1, **fields) -> None:
    for _ in range(n):
        response = client.post("/api/reports", data={"category": category, "lon": str(where[0]),
                                                     "lat": str(where[1]), "description": "x", **fields})
        assert response.status_code == 201, response.text


def write(client, rows: list[tuple]) -> None:
    """Reports straight into the store: (category, created_at, (lon, lat), when, why), open."""
    store = client.app.state.context.store
    start = store.count(REPORTS)
    raw = pd.DataFrame([{"id": f"s{start + i}", "category": c, "created_at": t, "lon": p[0], "lat": p[1],
                         "when": w, "why": y} for i, (c, t, p, w, y) in enumerate(rows)])
    store.write_features(REPORTS, validate(REPORTS, raw, "t"))


def zone(answer: dict, zone_id: str) -> dict:
    return next(z for z in answer["zones"] if z["zone_id"] == zone_id)


def test_the_places_are_in_the_zones_they_are_named_after(zones):
    lon, lat = np.array([TORG[0], STATION[0], NISSAN[0]]), np.array([TORG[1], STATION[1], NISSAN[1]])
    assert zone_of(zones, lon, lat).tolist() == ["stora-torg", "resecentrum", "nissan"]


# -- the rule ----------------------------------------------------------------------------------

COUNTS = st.dictionaries(st.text(min_size=1, max_size=4), st.integers(0, 30), max_size=12)


@hsettings(max_examples=300, deadline=None)
@given(COUNTS, st.integers(1, 8))
def test_no_count_below_k_survives_and_the_others_are_unchanged(counts, k):
    public = suppress_small(counts, k)
    assert list(public) == list(counts)
    for key, value in counts.items():
        assert public[key] == (value if value >= k else None)
    assert suppress_small(counts, None) == counts, "staff: exact"


@hsettings(max_examples=300, deadline=None)
@given(COUNTS, st.integers(1, 8), st.integers(0, 5))
def test_beside_a_public_total_the_hidden_counts_are_never_fewer_than_k(counts, k, elsewhere):
    total = sum(counts.values()) + elsewhere  # some records in no group (outside every zone)
    public = suppress_small(counts, k, total=total)
    shown = {key: value for key, value in public.items() if value is not None}
    assert all(value >= k and value == counts[key] for key, value in shown.items())
    assert sum(1 for key in counts if counts[key] >= k and public[key] is None) <= 1, "at most one more"
    if shown:
        hidden = total - sum(shown.values())
        assert hidden == 0 or hidden >= k, "total − shown never gives back a small count"


def test_grid_cells_below_k_are_left_out(zones):
    pins = validate(REPORTS, pd.DataFrame([{"id": f"r{i}", "category": "unsafe_place", "created_at": "2020-05-01T20:00:00Z",
                                            "lon": p[0], "lat": p[1]} for i, p in enumerate([TORG] * 2 + [STATION] * 3)]), "t")
    cells = grid_counts(pins, 50.0, min_count=K)
    assert cells["count"].tolist() == [3]
    assert zone_of(zones, cells.representative_point().x.to_numpy(), cells.representative_point().y.to_numpy()).tolist() == ["resecentrum"]
    assert sorted(grid_counts(pins, 50.0)["count"]) == [2, 3], "without k (incidents): every cell"
    assert grid_counts(pins.iloc[:2], 50.0, min_count=K).empty


# -- the planner map (public) -------------------------------------------------------------------


def layers(fmap: folium.Map) -> dict[str, dict]:
    return {child.layer_name: child.data for child in fmap._children.values() if isinstance(child, folium.GeoJson)}


def test_planner_map_never_shows_a_cell_or_zone_below_k(client, zones):
    post(client, "unsafe_place", TORG, 2, when="night", why="lighting")
    post(client, "unsafe_place", STATION, 3, when="night", why="people")
    post(client, "graffiti", TORG, 2)
    post(client, "litter", STATION, 3)
    shown = layers(build_map("planner", client.app.state.context))
    night = shown["Otrygga platser (natt)"]["features"]
    assert [f["properties"]["count"] for f in night] == [3], "the two pins on Stora Torg: no cell"
    assert shown["Otrygga platser (dag)"]["features"] == [], "drawn, empty: its presence tells nothing"
    clusters = shown["Öppna felanmälningar (per kategori och 25 m)"]["features"]
    assert [(f["properties"]["category"], f["properties"]["count"]) for f in clusters] == [("litter", 3)]
    open_reports = {f["properties"]["zone_id"]: f["properties"]["value"]
                    for f in shown["Öppna felanmälningar"]["features"]}
    assert open_reports["resecentrum"] == 3 and open_reports["stora-torg"] == "färre än 3"
    assert set(open_reports.values()) == {3, "färre än 3"}, "empty zones are not told apart from small ones"
    colours = {f["properties"]["zone_id"]: f["properties"]["colour"] for f in shown["Öppna felanmälningar"]["features"]}
    assert colours["stora-torg"] == colours["slottet"] != colours["resecentrum"], "the lowest colour"

    page = client.get("/maps/planner", headers=staff(client)).text  # public page, whoever asks
    assert "rutor med färre än 3 visas inte" in page and "färre än 3" in page
    assert '"count": 2' not in page


def test_planner_map_shows_three_pins(client):
    post(client, "unsafe_place", TORG, 3, when="evening", why="hidden_view")
    cells = layers(build_map("planner", client.app.state.context))["Otrygga platser (kväll)"]["features"]
    assert [f["properties"]["count"] for f in cells] == [3]


# -- GET /api/unsafe-places ---------------------------------------------------------------------


def test_unsafe_places_anonymous_suppressed_staff_exact(client):
    post(client, "unsafe_place", TORG, 2, when="night", why="lighting")
    public = client.get("/api/unsafe-places").json()
    assert public["suppressed_below"] == K and public["total"] == 2, "the centre-wide total stays exact"
    torg = zone(public, "stora-torg")
    assert torg["count"] is None and set(torg["when"].values()) == {None} and set(torg["why"].values()) == {None}
    assert all(z["count"] is None for z in public["zones"]), "an empty zone looks like a small one"
    exact = client.get("/api/unsafe-places", headers=staff(client, "police")).json()
    assert exact["suppressed_below"] is None and zone(exact, "stora-torg")["count"] == 2
    assert zone(exact, "stora-torg")["when"] == {"day": 0, "evening": 0, "night": 2}

    post(client, "unsafe_place", TORG, 1, when="night", why="people")
    torg = zone(client.get("/api/unsafe-places").json(), "stora-torg")
    assert torg["count"] == 3 and torg["when"] == {"day": None, "evening": None, "night": 3}
    assert torg["why"] == dict.fromkeys(WHY), "2 + 1: both below k"


def test_the_total_never_gives_a_small_zone_back(client):
    """2 pins on Stora Torg and 3 at Resecentrum: showing the 3 beside the total 5 would tell the 2."""
    post(client, "unsafe_place", TORG, 2, when="night", why="lighting")
    post(client, "unsafe_place", STATION, 3, when="day", why="traffic")
    public = client.get("/api/unsafe-places").json()
    assert public["total"] == 5 and zone(public, "resecentrum")["count"] is None
    assert zone(public, "resecentrum")["when"] == {"day": None, "evening": None, "night": None}
    post(client, "unsafe_place", NISSAN, 1, when="night", why="other")  # the hidden ones now add up to 3
    public = client.get("/api/unsafe-places").json()
    assert zone(public, "resecentrum")["count"] == 3 and zone(public, "resecentrum")["when"]["day"] == 3
    assert zone(public, "nissan")["count"] is None and zone(public, "stora-torg")["count"] is None
    exact = client.get("/api/unsafe-places", headers=staff(client, "municipality")).json()
    assert [zone(exact, z)["count"] for z in ("stora-torg", "resecentrum", "nissan")] == [2, 3, 1]


def test_the_pure_function_takes_k(zones):
    pins = validate(REPORTS, pd.DataFrame([{"id": f"r{i}", "category": "unsafe_place", "created_at": "2020-05-01T20:00:00Z",
                                            "when": "night", "lon": TORG[0], "lat": TORG[1]} for i in range(2)]), "t")
    assert zone(unsafe_places_per_zone(pins, zones, K), "stora-torg")["count"] is None
    assert zone(unsafe_places_per_zone(pins, zones, None), "stora-torg")["count"] == 2


# -- the weekly lägesbild -----------------------------------------------------------------------

W12 = "2020-03-18T20:00:00+01:00"


def test_lagesbild_public_is_computed_from_suppressed_counts(client):
    """2020-W12: 1 pin on Stora Torg, 2 at Nissan, 3 at Resecentrum (the hidden ones add up to 3,
    so the 3 may show); nothing in the four weeks before."""
    write(client, [("unsafe_place", W12, TORG, "night", "lighting")]
          + [("unsafe_place", W12, NISSAN, "night", "people")] * 2
          + [("unsafe_place", W12, STATION, "evening", "people")] * 3)
    exact = client.get("/api/lagesbild?week=2020-W12", headers=staff(client)).json()
    public = client.get("/api/lagesbild?week=2020-W12").json()
    assert exact["suppressed_below"] is None and public["suppressed_below"] == K

    assert [zone(exact, z)["unsafe_place_pins"] for z in ("stora-torg", "nissan", "resecentrum")] == [1, 2, 3]
    assert [zone(exact, z)["attention_score"] for z in ("stora-torg", "nissan", "resecentrum")] == [2, 4, 6]
    assert [p["zone_id"] for p in exact["priorities"]] == ["resecentrum", "nissan", "stora-torg"]
    assert zone(exact, "resecentrum")["unsafe_place_pins_change"] == 3

    for z in ("stora-torg", "nissan"):
        row = zone(public, z)
        assert row["unsafe_place_pins"] is None and row["unsafe_place_pins_change"] is None
        assert row["attention_score"] == 0 and row["load"] == 0, "a suppressed count scores 0"
    station = zone(public, "resecentrum")
    assert station["unsafe_place_pins"] == 3 and station["attention_score"] == 6
    assert station["unsafe_place_pins_mean_4w"] is None and station["unsafe_place_pins_change"] is None, \
        "the four weeks before are suppressed (zero is fewer than k)"
    assert public["priorities"] == [{"rank": 1, "zone_id": "resecentrum", "name": "Resecentrum och Halmstad C",
                                     "attention_score": 6, "reasons": ["3 markeringar av otrygga platser",
                                                                       "ingen polisnärvaro under veckan"]}]
    assert public["centre"]["unsafe_place_pins"] == 6 == exact["centre"]["unsafe_place_pins"], "centre-wide: exact"
    text = str(public)
    assert "1 markering" not in text and "2 markeringar" not in text

    page = client.get("/lagesbild?week=2020-W12", headers=staff(client)).text  # the page is public
    torg_row = re.search(r'<tr class="[^"]*" data-zone="stora-torg">(.*?)</tr>', page, re.S)[1]
    assert "färre än 3" in torg_row and 'id="privacy-note"' in page
    assert 'id="priority-1"' in page and 'id="priority-2"' not in page
    assert "1 markering" not in page and "2 markeringar" not in page


def test_lagesbild_one_and_three_pins(client):
    """1 pin on Stora Torg and 3 at Resecentrum: the 3 beside the centre's 4 would tell the 1."""
    write(client, [("unsafe_place", W12, TORG, "night", "lighting")]
          + [("unsafe_place", W12, STATION, "night", "people")] * 3)
    public = client.get("/api/lagesbild?week=2020-W12").json()
    assert zone(public, "stora-torg")["unsafe_place_pins"] is None
    assert zone(public, "resecentrum")["unsafe_place_pins"] is None and public["centre"]["unsafe_place_pins"] == 4
    assert public["priorities"] == []
    exact = client.get("/api/lagesbild?week=2020-W12", headers=staff(client, "police")).json()
    assert (zone(exact, "stora-torg")["unsafe_place_pins"], zone(exact, "resecentrum")["unsafe_place_pins"]) == (1, 3)
    assert [p["zone_id"] for p in exact["priorities"]] == ["resecentrum", "stora-torg"]


def test_a_four_week_mean_over_a_suppressed_week_is_not_shown(zones):
    """Resecentrum has 3 pins in each of W08–W11 and 4 in W12; Stora Torg 3, 3, 3, 1 and 3 (its
    W11 count is on the W11 page as "färre än 3", so a mean would give it back: 4 × 2.5 − 9 = 1);
    Nissan 2 in W11, so that week's hidden counts add up to 3."""
    weeks = {"2020-02-19": (3, 3, 0), "2020-02-26": (3, 3, 0), "2020-03-04": (3, 3, 0),
             "2020-03-11": (3, 1, 2), "2020-03-18": (4, 3, 0)}
    rows = [(day, place) for day, counts in weeks.items()
            for place, n in zip((STATION, TORG, NISSAN), counts) for _ in range(n)]
    pins = validate(REPORTS, pd.DataFrame([{"id": f"r{i}", "category": "unsafe_place", "created_at": f"{day}T20:00:00+01:00",
                                            "lon": p[0], "lat": p[1]} for i, (day, p) in enumerate(rows)]), "t")
    incidents = validate(INCIDENTS, pd.DataFrame(columns=["id", "occurred_at", "category", "lon", "lat"]), "t")
    no_presence = pd.DataFrame(index=pd.Index(zones["zone_id"], name="zone_id"))
    public = week_picture(zones, incidents, pins, no_presence, "2020-W12", min_count=K).zones
    exact = week_picture(zones, incidents, pins, no_presence, "2020-W12").zones
    assert exact.loc["stora-torg", "unsafe_place_pins_mean_4w"] == 2.5
    assert public.loc["resecentrum", "unsafe_place_pins_mean_4w"] == 3 and public.loc["resecentrum", "unsafe_place_pins_change"] == 1
    assert np.isnan(public.loc["stora-torg", "unsafe_place_pins_mean_4w"])
    assert np.isnan(public.loc["stora-torg", "unsafe_place_pins_change"])
    assert public.loc["stora-torg", "unsafe_place_pins"] == 3
    # the score uses the suppressed counts: W11's 1 counts as 0 (mean 9/4), and never gives it back
    assert public.loc["stora-torg", "load_mean_4w"] == 2.25 and exact.loc["stora-torg", "load_mean_4w"] == 2.5


# -- the promise tracker (public) ---------------------------------------------------------------


def test_promise_tracker_unsafe_places_are_suppressed(client):
    """2020: 2 pins on Stora Torg, 1 at Nissan, 6 at Resecentrum (3 at night, 2 in the evening, 1 by day)."""
    day = "2020-06-10T21:00:00+02:00"
    write(client, [("unsafe_place", day, TORG, "night", "lighting")] * 2 + [("unsafe_place", day, NISSAN, "day", "other")]
          + [("unsafe_place", day, STATION, w, "people") for w in ["night"] * 3 + ["evening"] * 2 + ["day"]])
    for headers in ({}, staff(client)):  # public, whoever asks
        report = client.get("/api/promises/2020?as_of=2020-12-31", headers=headers).json()
        figures = next(p for p in report["promises"] if "unsafe_places" in p["supporting"])["supporting"]["unsafe_places"]
        assert figures["suppressed_below"] == K and figures["total"] == 9
        assert zone(figures, "stora-torg")["count"] is None and zone(figures, "nissan")["count"] is None
        assert zone(figures, "resecentrum")["count"] == 6
        assert zone(figures, "resecentrum")["when"] == {"day": None, "evening": None, "night": 3}
    page = client.get("/promises/2020?as_of=2020-12-31").text
    assert re.search(r"<tr><td>Stora Torg</td><td>färre än 3</td>(<td>färre än 3</td>){3}</tr>", page)
    assert re.search(r"<tr><td>Resecentrum och Halmstad C</td><td>6</td><td>färre än 3</td><td>färre än 3</td><td>3</td></tr>",
                     page)
    assert "<td>2</td><td>0</td><td>0</td><td>2</td>" not in page


def test_purple_flag_bands_never_give_a_small_count_of_marks(client):
    """2020: 4 marks made at 18:00, 3 at 21:00, 3 at 10:00; then 2 more at 01:00."""
    def at(clock: str) -> str:
        return f"2020-06-10T{clock}:00+02:00"

    write(client, [("unsafe_place", at("18:00"), TORG, "evening", "people")] * 4
          + [("unsafe_place", at("21:00"), STATION, "night", "people")] * 3
          + [("unsafe_place", at("10:00"), NISSAN, "day", "other")] * 3)
    for headers in ({}, staff(client)):  # public, whoever asks
        evidence = client.get("/api/purple-flag/2020?as_of=2020-12-31", headers=headers).json()
        assert {b: f["reports"]["unsafe_place"] for b, f in evidence["bands"].items()} == {
            "17-20": 4, "20-23": 3, "23-02": None, "02-05": None}
        assert evidence["whole_night"]["reports"]["unsafe_place"] == 7 and evidence["unsafe_places"]["total"] == 10
    write(client, [("unsafe_place", at("01:00"), STATION, "night", "people")] * 2)
    evidence = client.get("/api/purple-flag/2020?as_of=2020-12-31").json()
    assert [f["reports"]["unsafe_place"] for f in evidence["bands"].values()] == [4, None, None, None], \
        "showing 4 and 3 beside 17-05's 9 would give the 2 made at 01:00 back"
    page = client.get("/purple-flag/2020?as_of=2020-12-31").text
    assert re.search(r"<tr><th scope=\"row\">23–02</th><td>färre än 3</td></tr>", page)


# -- GET /api/removal-rounds --------------------------------------------------------------------


def test_removal_backlog_anonymous_suppressed_staff_exact(client):
    post(client, "graffiti", TORG, 2)
    post(client, "graffiti", STATION, 3)
    year = local_today().year
    public = client.get(f"/api/removal-rounds?year={year}").json()
    backlog = public["categories"]["graffiti"]["open_backlog"]
    assert public["suppressed_below"] == K
    assert backlog["stora-torg"] is None and backlog["resecentrum"] == 3 and backlog["nissan"] is None
    exact = client.get(f"/api/removal-rounds?year={year}", headers=staff(client, "municipality")).json()
    backlog = exact["categories"]["graffiti"]["open_backlog"]
    assert exact["suppressed_below"] is None
    assert (backlog["stora-torg"], backlog["resecentrum"], backlog["nissan"]) == (2, 3, 0)


# -- fault reports: Purple Flag, events, before/after --------------------------------------------

BAND_COUNTS = st.lists(st.lists(st.integers(0, 6), min_size=len(FAULT_CATEGORIES), max_size=len(FAULT_CATEGORIES)),
                       min_size=len(BANDS), max_size=len(BANDS))


@hsettings(max_examples=200, deadline=None)
@given(BAND_COUNTS, st.integers(1, 5))
def test_purple_flag_fault_reports_never_give_a_small_count_back(rows, k):
    """The bands × categories with 17-05 as the sum row and each band's total: no shown count
    below k, and along every row and column no shown total less the shown counts is 1 … k−1."""
    counts = np.array(rows, dtype=np.int64)
    exact, public = fault_reports(counts, None), fault_reports(counts, k)
    assert exact[WHOLE_NIGHT]["total"] == counts.sum() and exact["17-20"]["by_category"] == dict(
        zip(FAULT_CATEGORIES, counts[0].tolist())), "staff: exact"
    columns = [*FAULT_CATEGORIES, "total"]

    def cell(which: dict, band: str, column: str) -> int | None:
        return which[band]["total"] if column == "total" else which[band]["by_category"][column]

    for band in public:
        for column in columns:
            shown = cell(public, band, column)
            assert shown is None or (shown >= k and shown == cell(exact, band, column))
        total = public[band]["total"]
        if total is not None:
            assert not 0 < total - sum(v for v in public[band]["by_category"].values() if v is not None) < k
    for column in columns:
        total = cell(public, WHOLE_NIGHT, column)
        if total is not None:
            assert not 0 < total - sum(cell(public, b, column) or 0 for b in BANDS) < k


def test_purple_flag_fault_reports_are_suppressed_in_the_answer_and_on_the_page(client):
    """2020: 3 graffiti, 3 weeds and 2 litter reports made at 18:00; then one graffiti at 21:00."""
    at = "2020-06-10T{}:00+02:00".format
    write(client, [("graffiti", at("18:00"), TORG, None, None)] * 3 + [("weeds", at("18:00"), TORG, None, None)] * 3
          + [("litter", at("18:00"), STATION, None, None)] * 2)
    for headers in ({}, staff(client)):  # public, whoever asks
        evidence = client.get("/api/purple-flag/2020?as_of=2020-12-31", headers=headers).json()
        for reports in (evidence["bands"]["17-20"]["reports"], evidence["whole_night"]["reports"]):
            assert reports["by_category"] == {**dict.fromkeys(FAULT_CATEGORIES), "weeds": 3}, \
                "the 2 litter reports hidden; showing 3 graffiti beside the total 8 would give them back"
            assert reports["total"] == 8
        assert all(f["reports"]["total"] is None for b, f in evidence["bands"].items() if b != "17-20")
    write(client, [("graffiti", at("21:00"), NISSAN, None, None)])
    evidence = client.get("/api/purple-flag/2020?as_of=2020-12-31").json()
    assert evidence["whole_night"]["reports"]["by_category"] == {**dict.fromkeys(FAULT_CATEGORIES), "graffiti": 4}
    assert evidence["whole_night"]["reports"]["total"] == 9
    assert all(set(f["reports"]["by_category"].values()) == {None} and f["reports"]["total"] is None
               for f in evidence["bands"].values()), "8 in 17-20 beside 9 in 17-05 would give the 1 at 21:00 back"
    page = client.get("/purple-flag/2020?as_of=2020-12-31").text
    assert re.search(r'<tr><th scope="row">Summa</th>(<td>färre än 3</td>){4}<td>9</td></tr>', page)
    assert "Av hänsyn till dem som anmält" in page and "<td>8</td>" not in page


FIGURES_ROW = st.tuples(st.one_of(st.just(np.nan), st.integers(0, 6).map(float)),
                        st.lists(st.integers(0, 6), max_size=8))


@hsettings(max_examples=200, deadline=None)
@given(st.lists(FIGURES_ROW, max_size=6), st.integers(1, 5))
def test_an_events_reports_never_show_a_small_count(rows, k):
    """An event's reports and its comparison windows' mean, least and most: nothing shown is
    below k, a shown mean rests on k or more reports, the least and most only when every
    window holds k or more."""
    windows = [np.array(w, dtype=float) for _, w in rows]
    exact = pd.DataFrame({"reports": [n for n, _ in rows], "comparison_windows": [len(w) for w in windows],
                          "reports_mean": [w.mean() if len(w) else np.nan for w in windows],
                          "reports_min": [w.min() if len(w) else np.nan for w in windows],
                          "reports_max": [w.max() if len(w) else np.nan for w in windows]})
    public = suppress_reports(exact, k)
    assert suppress_reports(exact, None) is exact, "staff: exact"
    for i, w in enumerate(windows):
        row = public.iloc[i]
        assert np.isnan(row["reports"]) or (row["reports"] >= k and row["reports"] == exact["reports"][i])
        assert np.isnan(row["reports_mean"]) or (w.sum() >= k and row["reports_mean"] == exact["reports_mean"][i])
        assert np.isnan(row["reports_min"]) == np.isnan(row["reports_max"])
        assert np.isnan(row["reports_min"]) or (w.min() >= k and row["reports_max"] == w.max())


def test_events_reports_are_suppressed_in_the_answer_and_on_the_calendar(client):
    """A concert on Stora Torg, Friday 8 May 2020 20:00–01:00, with 2 fault reports during it and 1 on
    an ordinary Friday; then 2 more on another Friday and 1 more during the concert."""
    made = client.post("/api/events", headers=staff(client, "municipality"), json={
        "id": "torg", "name": "Konsert", "starts_at": "2020-05-08T20:00", "ends_at": "2020-05-09T01:00",
        "kind": "concert", "place": "stora-torg"})
    assert made.status_code == 201, made.text
    write(client, [("graffiti", "2020-05-08T21:00:00+02:00", TORG, None, None)] * 2
          + [("litter", "2020-05-15T21:00:00+02:00", TORG, None, None)])
    for headers in ({}, staff(client, "municipality")):  # public, whoever asks
        answer = client.get("/api/events?year=2020", headers=headers).json()
        [event] = answer["events"]
        assert answer["suppressed_below"] == K and event["comparison_windows"] == 51
        assert event["figures"]["reports"] == {"event": None, "mean": None, "min": None, "max": None}
        assert event["figures"]["incidents"] == {"event": 0, "mean": 0, "min": 0, "max": 0}, "not citizens' data"
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/events?year=2020").text).split())
    assert "Felanmälningar färre än 3 färre än 3 sammanlagt" in text and "Av hänsyn till dem som anmält" in text

    write(client, [("litter", "2020-05-22T21:00:00+02:00", TORG, None, None)] * 2
          + [("graffiti", "2020-05-08T22:00:00+02:00", TORG, None, None)])
    [event] = client.get("/api/events?year=2020").json()["events"]
    assert event["figures"]["reports"] == {"event": 3, "mean": round(3 / 51, 2), "min": None, "max": None}, \
        "3 reports in the ordinary Fridays together: the mean; most Fridays have none: no least or most"
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/events?year=2020").text).split())
    assert "Felanmälningar 3 snitt 0,1 " in text and "snitt 0,1 (" not in text


def test_a_public_before_after_hides_small_counts_of_reports_and_what_follows_from_them(client):
    """1 report on Stora Torg in the 30 days before 1 June 2020, 4 after; Nissan 3 and 3; the
    data from January to December (at Resecentrum, in neither area)."""
    write(client, [("graffiti", "2020-01-05T12:00:00+01:00", STATION, None, None),
                   ("graffiti", "2020-12-20T12:00:00+01:00", STATION, None, None),
                   ("graffiti", "2020-05-10T12:00:00+02:00", TORG, None, None)]
          + [("litter", "2020-06-10T12:00:00+02:00", TORG, None, None)] * 4
          + [("weeds", "2020-05-10T12:00:00+02:00", NISSAN, None, None)] * 3
          + [("weeds", "2020-06-10T12:00:00+02:00", NISSAN, None, None)] * 3)
    question = {"area": {"zone": "stora-torg"}, "comparison": {"zone": "nissan"}, "at": "2020-06-01", "days": 30,
                "layers": ["reports"]}
    public = client.post("/api/outcomes/before-after", json=question).json()
    assert public["suppressed_below"] == K
    table = public["layers"]["reports"]
    counts = {(c["area"], c["period"]): (c["count"], c["rate_per_day"]) for c in table["counts"]}
    assert counts[("affected", "before")] == (None, None) and counts[("affected", "after")] == (4, round(4 / 30, 5))
    assert counts[("comparison", "before")] == counts[("comparison", "after")] == (3, 0.1)
    for row in table["did"]:
        assert row["affected_change"] is None and row["did"] is None and row["low"] is None and row["high"] is None
        assert row["comparison_change"] == 0
    assert any("färre än 3" in c for c in table["caveats"]) and not any("minsta räkningen" in c for c in table["caveats"])
    exact = client.post("/api/outcomes/before-after", json=question, headers=staff(client, "police")).json()
    assert exact["suppressed_below"] is None
    assert {(c["area"], c["period"]): c["count"] for c in exact["layers"]["reports"]["counts"]}[("affected", "before")] == 1
    assert all(row["did"] is not None for row in exact["layers"]["reports"]["did"])

    page = client.get("/outcomes/before-after?area=stora-torg&comparison=nissan&at=2020-06-01&days=30&layers=reports")
    assert page.status_code == 200
    assert re.search(r"<td>Åtgärdsområdet</td><td>Före</td><td>färre än 3</td><td>–</td>", page.text)
    assert "visas antal under" in page.text and "<td>1</td>" not in page.text
