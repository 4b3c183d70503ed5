"""The promises of a year as data (schema, clear errors) and the rules that give each a status,
with hand-made numbers at given dates; the measures taken from hand-made report and lamp layers."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from geo.crs import SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.io.documents import read_yaml
from geo.lamp_history import status_changes
from geo.layers import LIGHTS, REPORTS, validate
from geo.lighting import lights_at
from geo.promises import (UnknownPromise, closed_in_time, open_and_closed_daily, parse_promises, promise_files,
                          read_promises, recorded_status, takes_staff_status)
from geo.timestamps import LOCAL_TZ
from tests.conftest import ROOT

PROMISES_DIR = ROOT / "data" / "medborgarloften"
SHIPPED = PROMISES_DIR / "2020.yaml"
TO_WGS84 = Transformer.from_crs(SWEREF99TM, WGS84, always_xy=True)
E0, N0 = 374_000.0, 6_284_000.0  # near Halmstad, SWEREF 99 TM metres


# --- staff records -------------------------------------------------------------------------------

def test_recorded_status_is_the_latest_record_on_or_before_the_date():
    records = pd.DataFrame({"day": ["2020-03-01", "2020-06-01", "2020-02-01", "2020-06-01"],
                            "status": ["on track", "behind", "met", "met"], "note": ["a", "b", "c", "d"],
                            "recorded_at": ["2020-03-01T10:00:00.000Z", "2020-06-02T10:00:00.000Z",
                                            "2020-07-01T10:00:00.000Z", "2020-06-01T09:00:00.000Z"]})
    assert recorded_status(records.iloc[:0], date(2020, 12, 31)) is None
    assert recorded_status(records, date(2020, 1, 31)) is None
    assert recorded_status(records, date(2020, 2, 29))["note"] == "c"
    assert recorded_status(records, date(2020, 5, 31))["note"] == "a", "a record made later for an earlier date does not win"
    latest = recorded_status(records, date(2020, 12, 31))
    assert (latest["status"], latest["note"]) == ("behind", "b"), "same day: the one recorded last"


# --- measures from hand-made report layers -----------------------------------------------------------

def reports(*rows: dict) -> gpd.GeoDataFrame:
    """A real, typed reports layer from rows of id, category, created_at[, closed_at, status]."""
    raw = pd.DataFrame(list(rows), columns=["id", "category", "created_at", "closed_at", "status"])
    raw["status"] = [status if isinstance(status, str) else "closed" if isinstance(closed, str) else "open"
                     for status, closed in zip(raw["status"], raw["closed_at"])]
    return validate(REPORTS, raw.assign(lon=12.8572, lat=56.6740), "test")


def litter(ident: str, created: str, closed: str | None = None, category: str = "litter") -> dict:
    return {"id": ident, "category": category, "created_at": created, "closed_at": closed}


def test_closed_in_time_in_time_late_and_undecided():
    frame = reports(
        litter("fast", "2020-03-02T10:00:00+01:00", "2020-03-04T10:00:00+01:00"),   # 2 days
        litter("edge", "2020-03-03T10:00:00+01:00", "2020-03-10T10:00:00+01:00"),   # exactly 7 days: in time
        litter("slow", "2020-03-05T10:00:00+01:00", "2020-03-20T10:00:00+01:00"),   # 15 days
        litter("open-old", "2020-02-01T10:00:00+01:00"),                          # open, older than 7 days
        litter("open-young", "2020-03-08T10:00:00+01:00"),                        # open, 2 days old on 10 March
        litter("graffiti", "2020-03-02T10:00:00+01:00", None, "graffiti"),         # another category
        litter("last-year", "2019-12-20T10:00:00+01:00", "2019-12-21T10:00:00+01:00"),
    )
    on_10_march = closed_in_time(frame, ["litter"], 2020, date(2020, 3, 10), 7)
    # "slow" is still open at the end of 10 March and 5 days old: undecided, not late
    assert on_10_march == {"reports": 5, "in_time": 2, "late": 1, "undecided": 2, "share": pytest.approx(2 / 3)}
    on_31_march = closed_in_time(frame, ["litter"], 2020, date(2020, 3, 31), 7)
    assert on_31_march == {"reports": 5, "in_time": 2, "late": 3, "undecided": 0, "share": pytest.approx(2 / 5)}
    before = closed_in_time(frame, ["litter"], 2020, date(2020, 1, 31), 7)
    assert before == {"reports": 0, "in_time": 0, "late": 0, "undecided": 0, "share": None}
    both = closed_in_time(frame, ["litter", "graffiti"], 2020, date(2020, 3, 31), 7)
    assert both["reports"] == 6 and both["late"] == 4


def test_closed_in_time_uses_local_days_and_the_local_year():
    frame = reports(
        litter("new-year", "2019-12-31T23:30:00Z", "2020-01-01T10:00:00Z"),   # 00:30 on 1 January, local
        litter("new-year-2021", "2020-12-31T23:30:00Z"),                       # 00:30 on 1 January 2021
        litter("after-midnight", "2020-03-05T23:30:00Z"),                      # 00:30 on 6 March, local
        litter("closed-after-midnight", "2020-03-04T09:00:00Z", "2020-03-11T23:30:00Z"),  # 12 March local
    )
    assert closed_in_time(frame, ["litter"], 2019, date(2019, 12, 31), 7)["reports"] == 0
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 1, 1), 7) == {
        "reports": 1, "in_time": 1, "late": 0, "undecided": 0, "share": 1.0}
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 3, 5), 7)["reports"] == 2
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 3, 6), 7)["reports"] == 3
    # closed 7 days 14.5 h after it was made, at 00:30 on 12 March local: within 8 days, known from 12 March
    on_11_march = closed_in_time(frame, ["litter"], 2020, date(2020, 3, 11), 8)
    assert (on_11_march["in_time"], on_11_march["late"], on_11_march["undecided"]) == (1, 0, 2)
    on_12_march = closed_in_time(frame, ["litter"], 2020, date(2020, 3, 12), 8)
    assert (on_12_march["in_time"], on_12_march["late"], on_12_march["undecided"]) == (2, 0, 1)
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 3, 12), 7)["late"] == 1
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 12, 31), 7)["reports"] == 3


def test_closed_in_time_day_ends_at_local_midnight_on_daylight_saving_days():
    frame = reports(litter("spring", "2020-03-30T00:30:00+02:00"),   # after the 23-hour 29 March
                    litter("autumn", "2020-10-25T23:30:00+01:00"))  # inside the 25-hour 25 October
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 3, 29), 7)["reports"] == 0
    assert closed_in_time(frame, ["litter"], 2020, date(2020, 10, 25), 7)["reports"] == 2


def test_open_and_closed_daily_counts_at_each_local_days_end():
    frame = reports(
        litter("carried", "2019-12-28T12:00:00+01:00", "2020-01-03T12:00:00+01:00"),  # open into the year
        litter("closed-last-year", "2019-12-01T12:00:00+01:00", "2019-12-02T12:00:00+01:00"),
        litter("a", "2020-01-02T23:30:00Z", "2020-01-04T08:00:00+01:00"),   # made 3 January local
        litter("b", "2020-01-04T12:00:00+01:00"),
        litter("g", "2020-01-02T12:00:00+01:00", None, "graffiti"),
    )
    daily = open_and_closed_daily(frame, ["litter"], 2020, date(2020, 1, 5))
    assert list(daily.index) == [date(2020, 1, d) for d in range(1, 6)]
    assert daily["open"].tolist() == [1, 1, 1, 1, 1]
    assert daily["closed_in_year"].tolist() == [0, 0, 1, 2, 2]
    with_graffiti = open_and_closed_daily(frame, ["litter", "graffiti"], 2020, date(2020, 1, 5))
    assert with_graffiti["open"].tolist() == [1, 2, 2, 2, 2]



def test_open_and_closed_daily_day_ends_at_local_midnight_on_daylight_saving_days():
    frame = reports(litter("spring", "2020-03-30T00:30:00+02:00"), litter("autumn", "2020-10-25T23:30:00+01:00"))
    daily = open_and_closed_daily(frame, ["litter"], 2020, date(2020, 10, 26))
    assert daily.loc[date(2020, 3, 29), "open"] == 0, "made after the end of 29 March"
    assert daily.loc[date(2020, 10, 25), "open"] == 2, "made before the end of 25 October"


WINTER = pd.Timestamp("2020-01-01T00:00:00+01:00")  # standard time only, up to 29 February (no DST change)
MINUTES = 60 * 24 * 75


@st.composite
def report_frames(draw):
    rows = []
    for i in range(draw(st.integers(0, 12))):
        created = draw(st.integers(-60 * 24 * 14, MINUTES))  # minutes from 1 January, some in December
        closed = draw(st.one_of(st.none(), st.integers(0, MINUTES)))
        rows.append(litter(f"r{i}", (WINTER + pd.Timedelta(minutes=created)).isoformat(),
                           None if closed is None else
                           (WINTER + pd.Timedelta(minutes=created + closed)).isoformat(),
                           draw(st.sampled_from(["litter", "graffiti"]))))
    return reports(*rows) if rows else reports(litter("x", "2020-01-01T12:00:00+01:00", None, "weeds"))


@settings(max_examples=60, deadline=None)
@given(report_frames(), st.integers(0, 59))
def test_open_and_closed_daily_properties(frame, day):
    as_of = date(2020, 1, 1) + timedelta(days=day)
    daily = open_and_closed_daily(frame, ["litter"], 2020, as_of)
    assert len(daily) == day + 1
    assert (daily["open"] >= 0).all()
    assert daily["closed_in_year"].is_monotonic_increasing and daily["closed_in_year"].iloc[0] >= 0
    mine = frame[frame["category"] == "litter"]
    for current, row in daily.iterrows():  # against a count at each local midnight
        end = pd.Timestamp(current + timedelta(days=1), tz=LOCAL_TZ)
        closed = mine["closed_at"].notna() & (mine["closed_at"] < end)
        assert row["open"] == int(((mine["created_at"] < end) & ~closed).sum())
        assert row["closed_in_year"] == int((closed & (mine["closed_at"] >= WINTER)).sum())


@settings(max_examples=60, deadline=None)
@given(report_frames(), st.integers(0, 59), st.floats(0.5, 30))
def test_closed_in_time_parts_add_up(frame, day, target_days):
    figures = closed_in_time(frame, ["litter", "graffiti"], 2020, date(2020, 1, 1) + timedelta(days=day), target_days)
    assert figures["in_time"] + figures["late"] + figures["undecided"] == figures["reports"]
    assert min(figures["in_time"], figures["late"], figures["undecided"]) >= 0
    decided = figures["in_time"] + figures["late"]
    assert figures["share"] == (figures["in_time"] / decided if decided else None)


# --- lamps as they stood at a moment ------------------------------------------------------------------

def lamp_layer(*rows: tuple[str, float, float, str, str | None]) -> gpd.GeoDataFrame:
    """Lamps (id, east m, north m from E0/N0, status, updated_at) as a validated lights layer."""
    lon, lat = TO_WGS84.transform([E0 + r[1] for r in rows], [N0 + r[2] for r in rows])
    raw = pd.DataFrame({"id": [r[0] for r in rows], "lumen": 8000, "height_m": 6, "status": [r[3] for r in rows],
                        "updated_at": [r[4] for r in rows], "lon": lon, "lat": lat})
    return validate(LIGHTS, raw, "test")


def light_reports(*rows: tuple[str, float, float, str, str, str | None]) -> gpd.GeoDataFrame:
    """broken_light reports (id, east, north, status, created_at, closed_at) as a validated layer."""
    lon, lat = TO_WGS84.transform([E0 + r[1] for r in rows], [N0 + r[2] for r in rows])
    raw = pd.DataFrame({"id": [r[0] for r in rows], "category": "broken_light", "status": [r[3] for r in rows],
                        "created_at": [r[4] for r in rows], "closed_at": [r[5] for r in rows], "lon": lon, "lat": lat})
    return validate(REPORTS, raw, "test")


@pytest.fixture(scope="module")
def street():
    lamps = lamp_layer(("a", 0, 0, "working", None), ("a2", 15, 0, "working", None),
                       ("b", 200, 0, "broken", "2020-06-15T08:00:00+02:00"),
                       ("r", 400, 0, "removed", "2020-04-01T08:00:00+02:00"),
                       ("old", 600, 0, "broken", None),
                       ("p", 800, 0, "planned", None),
                       ("c", 1000, 0, "working", None))
    fixes = light_reports(("fixed", 3, 0, "closed", "2020-08-01T20:00:00+02:00", "2020-08-20T10:00:00+02:00"),
                          ("confirmed", 1002, 0, "acknowledged", "2020-11-01T20:00:00+01:00", None),
                          ("unconfirmed", 3, 1, "open", "2020-02-01T20:00:00+01:00", None),
                          ("far", 1500, 0, "scheduled", "2020-02-01T20:00:00+01:00", None))
    return lamps, recorded(lamps), fixes


def recorded(lamps: gpd.GeoDataFrame) -> pd.DataFrame:
    """The history of lamps first imported on New Year's Day 2020 (each dated by its updated_at if any)."""
    return status_changes(lamps, {}, pd.Timestamp("2020-01-01T00:00:00+01:00"))


def state_at(street, moment: str) -> dict[str, str]:
    lamps, history, fixes = street
    frame = lights_at(lamps, history, fixes, pd.Timestamp(moment))
    return dict(zip(frame["id"], frame["status"]))


def test_a_lamp_broken_in_june_was_working_in_march_and_planned_lamps_stay_planned(street):
    march = state_at(street, "2020-03-01T12:00:00+01:00")
    assert march == {"a": "working", "a2": "working", "b": "working", "r": "working", "old": "broken",
                     "p": "planned", "c": "working"}, "a lamp broken with no date of change is broken since it was recorded"
    assert state_at(street, "2019-12-31T12:00:00+01:00")["old"] == "working", "and was working before"
    july = state_at(street, "2020-07-01T00:00:00+02:00")
    assert (july["b"], july["r"], july["a"]) == ("broken", "removed", "working")
    assert july["p"] == "planned", "a planned lamp gives no light"


def test_a_confirmed_report_switches_off_the_nearest_lamp_between_created_and_closed(street):
    assert state_at(street, "2020-08-01T19:00:00+02:00")["a"] == "working", "before the report"
    during = state_at(street, "2020-08-10T12:00:00+02:00")
    assert (during["a"], during["a2"]) == ("broken", "working"), "only the nearest lamp, not its neighbour 15 m away"
    assert state_at(street, "2020-08-20T10:00:01+02:00")["a"] == "working", "repaired when closed"
    assert state_at(street, "2020-12-01T12:00:00+01:00")["c"] == "broken", "confirmed and still open"
    assert state_at(street, "2020-10-01T12:00:00+02:00")["c"] == "working", "not yet reported"
    assert all(status != "broken" for lamp, status in state_at(street, "2020-02-15T12:00:00+01:00").items()
               if lamp != "old"), "an unconfirmed report and one 500 m from any lamp switch nothing off"


def test_a_report_about_a_lamp_already_broken_does_not_switch_off_its_neighbour():
    lamps = lamp_layer(("a", 0, 0, "broken", "2020-06-15T08:00:00+02:00"), ("n", 20, 0, "working", None))
    fixes = light_reports(("r", 1, 0, "acknowledged", "2020-06-10T20:00:00+02:00", None))  # about lamp a
    june = lights_at(lamps, recorded(lamps), fixes, pd.Timestamp("2020-06-12T12:00:00+02:00"))
    assert dict(zip(june["id"], june["status"])) == {"a": "broken", "n": "working"}, "out by the report"
    august = lights_at(lamps, recorded(lamps), fixes, pd.Timestamp("2020-08-01T12:00:00+02:00"))
    assert dict(zip(august["id"], august["status"])) == {"a": "broken", "n": "working"}, "one report, one lamp out"


def test_lights_at_leaves_its_input_untouched(street):
    lamps, history, fixes = street
    before = lamps.copy()
    lights_at(lamps, history, fixes, pd.Timestamp("2020-08-10T12:00:00Z"))
    pd.testing.assert_frame_equal(lamps, before)


def test_the_shipped_2020_file_has_eight_promises_of_every_kind():
    year = read_promises(SHIPPED)
    assert year.year == 2020 and set(year.parties) == {"police", "municipality"} and year.title and year.source
    ids = [p.id for p in year.promises]
    assert ids == ["polisnarvaro", "klotter-och-ogras", "stadning", "belysningsprogram", "centrumutvecklingsplan",
                   "purple-flag", "evenemang", "kamerabevakning"]
    kinds = [p.measure.kind for p in year.promises]
    assert kinds == ["patrol_presence", "removal_rounds", "cleaning", "lighting", "staff_status", "staff_status",
                     "events", "staff_status"]
    assert year.promise("evenemang").measure.target_events is None, "no number promised: staff record its status"
    assert [takes_staff_status(p) for p in year.promises] == [False] * 4 + [True] * 4
    presence, rounds, cleaning, lighting = (year.promise(i).measure for i in ids[:4])
    assert presence.target_h == 900 and rounds.target_rounds == 2 and rounds.categories == ["graffiti", "weeds"]
    assert (cleaning.categories, cleaning.target_days, cleaning.target_share) == (["litter"], 7, 0.9)
    assert lighting.programme.endswith("belysningsprogram-2020.yaml"), "resolved beside the promises file"
    assert year.promise("purple-flag").promised_by == "both" and year.promise("polisnarvaro").promised_by == "police"
    assert year.promise("purple-flag").supporting == ["purple_flag_bands"]
    assert year.promise("evenemang").supporting == []
    assert all(p.text and p.how_measured for p in year.promises)
    with pytest.raises(UnknownPromise, match="no promise 'x' in 2020; the promises are polisnarvaro, "):
        year.promise("x")


def shipped_doc() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write(folder, name: str, doc: object) -> object:
    path = folder / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problem(tmp_path, change, name: str = "2020.yaml") -> ValidationError:
    doc = copy.deepcopy(shipped_doc())
    change(doc)
    path = write(tmp_path, name, doc)
    with pytest.raises(ValidationError) as caught:
        read_promises(path)
    assert caught.value.file == str(path)
    return caught.value


def test_a_misspelt_field_is_named_with_a_suggestion(tmp_path):
    def typo(doc):
        doc["promises"][0]["measure"]["target_hours"] = doc["promises"][0]["measure"].pop("target_h")

    error = problem(tmp_path, typo)
    assert (error.row, error.field) == ("promise 1 (id 'polisnarvaro')", "measure.target_hours")
    assert str(error) == (f"{tmp_path / '2020.yaml'}, promise 1 (id 'polisnarvaro'), field 'measure.target_hours': "
                          "unknown field; did you mean 'target_h'?")
    top = problem(tmp_path, lambda doc: doc["promises"][2].update(how_measure=doc["promises"][2].pop("how_measured")))
    assert (top.row, top.field) == ("promise 3 (id 'stadning')", "how_measure")
    assert "did you mean 'how_measured'?" in top.message


def test_a_missing_target_is_named(tmp_path):
    error = problem(tmp_path, lambda doc: doc["promises"][1]["measure"].pop("target_rounds"))
    assert (error.row, error.field) == ("promise 2 (id 'klotter-och-ogras')", "measure.target_rounds")
    assert "required" in error.message.lower()


def test_an_unknown_kind_lists_the_kinds(tmp_path):
    error = problem(tmp_path, lambda doc: doc["promises"][3]["measure"].update(kind="lightning"))
    assert (error.row, error.field) == ("promise 4 (id 'belysningsprogram')", "measure")
    assert error.message == ("unknown kind; choose one of patrol_presence, removal_rounds, cleaning, lighting, "
                             "events, staff_status")
    missing = problem(tmp_path, lambda doc: doc["promises"][3]["measure"].pop("kind"))
    assert missing.field == "measure" and missing.message == "a measure needs a kind"


def test_a_negative_or_impossible_target_is_refused(tmp_path):
    error = problem(tmp_path, lambda doc: doc["promises"][0]["measure"].update(target_h=-900))
    assert (error.row, error.field) == ("promise 1 (id 'polisnarvaro')", "measure.target_h")
    assert "greater than 0" in error.message
    share = problem(tmp_path, lambda doc: doc["promises"][2]["measure"].update(target_share=1.5))
    assert share.field == "measure.target_share" and "less than or equal to 1" in share.message
    rounds = problem(tmp_path, lambda doc: doc["promises"][1]["measure"].update(target_rounds=0))
    assert rounds.field == "measure.target_rounds" and "greater than or equal to 1" in rounds.message


def test_a_duplicate_id_names_both_promises(tmp_path):
    error = problem(tmp_path, lambda doc: doc["promises"][5].update(id="evenemang"))
    assert (error.row, error.field) == ("promise 7 (id 'evenemang')", "id")
    assert error.message == "id 'evenemang' is also used by promise 6; ids must be unique"


def test_the_year_must_match_the_file_name(tmp_path):
    error = problem(tmp_path, lambda doc: None, name="2021.yaml")
    assert error.field == "year" and error.message == "the file is named for 2021 but says year 2020"
    assert str(error).startswith(f"{tmp_path / '2021.yaml'}, field 'year': ")


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "2020.yaml"
    path.write_text("year: 2020\ntitle: Löften\n  parties: indented by mistake\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_promises(path)
    assert (caught.value.file, caught.value.row) == (str(path), "line 3")
    assert str(caught.value).startswith(f"{path}, line 3: not valid YAML: ")


def test_a_document_that_is_not_a_mapping_is_refused(tmp_path):
    for text in ("- year: 2020\n", "just text\n", ""):
        path = tmp_path / "2020.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValidationError, match="expected a mapping with year, title, parties, source and promises"):
            read_promises(path)
    with pytest.raises(ValidationError, match="^promises: expected a mapping"):
        parse_promises([1, 2])


def test_an_id_must_be_a_slug(tmp_path):
    error = problem(tmp_path, lambda doc: doc["promises"][4].update(id="Centrum Plan"))
    assert (error.row, error.field) == ("promise 5 (id 'Centrum Plan')", "id")
    assert "lower-case words of a-z and 0-9 joined by hyphens" in error.message


def test_other_fields_are_checked_too(tmp_path):
    by = problem(tmp_path, lambda doc: doc["promises"][6].update(promised_by="kommunen"))
    assert (by.row, by.field) == ("promise 7 (id 'evenemang')", "promised_by") and "'both'" in by.message
    category = problem(tmp_path, lambda doc: doc["promises"][2]["measure"].update(categories=["skräp"]))
    assert category.field == "measure.categories.0" and "'litter'" in category.message
    supporting = problem(tmp_path, lambda doc: doc["promises"][7].update(supporting=["hotspots"]))
    assert supporting.field == "supporting.0" and "'incident_hotspots'" in supporting.message
    empty = problem(tmp_path, lambda doc: doc.update(promises=[]))
    assert empty.row is None and empty.field == "promises"


def test_a_missing_file_is_a_validation_error(tmp_path):
    with pytest.raises(ValidationError, match="cannot read the file"):
        read_promises(tmp_path / "2020.yaml")


def test_a_new_years_file_is_picked_up_without_code_changes(tmp_path):
    doc = shipped_doc()
    doc["year"] = 2031
    doc["promises"] = [p for p in doc["promises"] if p["measure"]["kind"] == "staff_status"][:2]
    write(tmp_path, "2031.yaml", doc)
    (tmp_path / "2032.json").write_text(json.dumps({**doc, "year": 2032}), encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("not a year\n", encoding="utf-8")
    (tmp_path / "2033.txt").write_text("neither\n", encoding="utf-8")
    files = promise_files(tmp_path)
    assert files == {2031: tmp_path / "2031.yaml", 2032: tmp_path / "2032.json"}
    assert [p.id for p in read_promises(files[2031]).promises] == ["centrumutvecklingsplan", "purple-flag"]
    assert read_promises(files[2032]).year == 2032
    assert promise_files(PROMISES_DIR) == {2020: SHIPPED}


def test_two_files_for_one_year_are_refused_rather_than_one_silently_chosen(tmp_path):
    write(tmp_path, "2031.yaml", {**shipped_doc(), "year": 2031})
    (tmp_path / "2031.json").write_text(json.dumps({**shipped_doc(), "year": 2031}), encoding="utf-8")
    with pytest.raises(ValidationError, match="two promises files for 2031: 2031.json and 2031.yaml; keep one"):
        promise_files(tmp_path)


def test_a_report_closed_straight_from_open_by_staff_was_never_confirmed():
    from geo.workflow import closed_unconfirmed

    history = pd.DataFrame([
        ("no-fault", None, "open", "citizen"), ("no-fault", "open", "closed", "municipality"),
        ("repaired", None, "open", "citizen"), ("repaired", "open", "acknowledged", "municipality"),
        ("repaired", "acknowledged", "closed", "municipality"),
        ("imported", None, "closed", "import"), ("migrated", "open", "closed", "import"),
        ("open", None, "open", "open311")], columns=["report_id", "from_status", "to_status", "actor_role"])
    assert closed_unconfirmed(history).tolist() == ["no-fault"]


def test_an_events_promise_with_a_number_is_measured_and_one_without_takes_a_staff_status():
    doc = read_yaml(SHIPPED)
    doc["promises"][6]["measure"] = {"kind": "events", "target_events": 20}
    counted = parse_promises(doc, "2020.yaml").promise("evenemang")
    assert counted.measure.target_events == 20 and not takes_staff_status(counted)
    doc["promises"][6]["measure"] = {"kind": "events", "target_events": 0}
    with pytest.raises(ValidationError) as refused:
        parse_promises(doc, "2020.yaml")
    assert refused.value.field == "measure.target_events"
