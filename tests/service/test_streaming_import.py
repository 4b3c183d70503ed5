"""Streaming import of patrol pings from CSV (issue #13): batches read with Arrow, validated fast
where that gives what :func:`geo.layers.validate` gives, gathered per unit-day and written in one
transaction — the same pings, summary and errors as reading the whole file, in bounded memory."""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pyproj import Transformer

import geo.io.csvfile as csvfile
from geo.crs import HALMSTAD_LONLAT, SWEREF99TM, WGS84
from geo.errors import ValidationError
from geo.io.csvfile import iso_times, read_csv_batches, read_csv_records
from geo.layers import PINGS, validate
from geo.timestamps import LOCAL_TZ, SUPPORTED_END, SUPPORTED_START, parse_utc
from service.imports import REPEATED, import_file, validate_ping_batch
from service.store import SQLiteStore
from service.store import pingchunks
from service.store.pingchunks import PingBuffer

LON, LAT = HALMSTAD_LONLAT
ROOT = Path(__file__).resolve().parents[2]
HEADER = "unit_id,timestamp,lat,lon,mode,crew,source\n"


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of about 16 kB of the file (a few hundred rows), so small files have many."""
    monkeypatch.setattr(csvfile, "_ARROW_BLOCK", 16 * 1024)
    monkeypatch.setattr(csvfile, "BATCH_BYTES", 16 * 1024)


@pytest.fixture
def small_buffer(monkeypatch):
    """A buffer of some 2,000 pings, so that files write in several goes before they end."""
    monkeypatch.setattr(pingchunks, "PENDING_BYTES", 2_000 * 27)
    monkeypatch.setattr(pingchunks, "FRAME_PINGS", 500)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def ping_rows(units: int, seconds: int, start: str = "2024-03-30T20:00:00Z", step_s: int = 1, seed: int = 1,
              form: str = "%Y-%m-%dT%H:%M:%S.000Z") -> list[str]:
    """1 Hz-ish pings of ``units`` units, all units' pings of a second together (the order a
    fleet's log has), with random-walk positions near Stora Torg."""
    rng = np.random.default_rng(seed)
    times = pd.Timestamp(start) + pd.to_timedelta(np.arange(seconds) * step_s, unit="s")
    text = times.strftime(form)
    walk = np.cumsum(rng.normal(0, 1e-5, size=(2, units, seconds)), axis=2)
    rows = []
    for k in range(seconds):
        for u in range(units):
            rows.append(f"P{u + 1},{text[k]},{LAT + walk[1, u, k]:.7f},{LON + walk[0, u, k]:.7f},"
                        f"{'foot' if u % 2 else 'bike'},{1 + u % 3},gps-{u % 2}")
    return rows


def whole_file_import(store: SQLiteStore, path: Path) -> tuple[int, int, int, int]:
    """The import as it was before streaming: the whole file read, validated and written at
    once. (rows read, imported, already stored, repeated in the file)."""
    records = read_csv_records(path)
    frame = validate(PINGS, records.raw, str(path))
    result = store.write_pings(frame)
    return len(records.raw), result.inserted, result.unchanged, frame.attrs["duplicates"]


def figures(summary) -> tuple[int, int, int, int]:
    return summary.read, summary.imported, summary.unchanged, summary.skipped.get(REPEATED, 0)


def chunk_rows(db: Path) -> list[tuple[str, int, int]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT unit_id, day_utc, n FROM patrol_ping_chunks ORDER BY unit_id, day_utc").fetchall()


# -- the same pings and summary as the whole-file path ----------------------------------------------


def test_a_large_file_imports_the_same_pings_and_summary_as_the_whole_file(tmp_path, small_buffer):
    rows = ping_rows(units=6, seconds=50_000, start="2024-03-31T00:30:00+01:00", seed=7)  # 300,000 pings, 2 days
    rows[1000:1000] = rows[10:40]  # repeated pings in the file
    rows += rows[-5:] + rows[200_000:200_004]  # repeated at the end, and from long before
    path = write(tmp_path / "fleet.csv", HEADER + "\n".join(rows) + "\n")
    assert path.stat().st_size > 2 * csvfile.BATCH_BYTES  # several batches at the default size
    streamed, whole = SQLiteStore(tmp_path / "streamed.sqlite"), SQLiteStore(tmp_path / "whole.sqlite")
    summary = import_file(streamed, PINGS, path)
    assert figures(summary) == whole_file_import(whole, path) == (300_039, 300_000, 0, 39)
    assert summary.line() == (f"patrols from {path}: 300039 rows read, 300000 imported, 0 updated, 39 skipped "
                              "(39 repeated in the file for the same unit and time)")
    pd.testing.assert_frame_equal(streamed.read_pings(), whole.read_pings())
    assert streamed.count(PINGS) == 300_000


def test_pings_in_no_order_across_many_batches_and_writes(tmp_path, small_batches, small_buffer):
    rows = ping_rows(units=3, seconds=3_000)
    random.Random(3).shuffle(rows)
    rows += rows[:50]  # repeated, long after their first
    path = write(tmp_path / "shuffled.csv", HEADER + "\n".join(rows) + "\n")
    streamed, whole = SQLiteStore(tmp_path / "streamed.sqlite"), SQLiteStore(tmp_path / "whole.sqlite")
    assert figures(import_file(streamed, PINGS, path)) == whole_file_import(whole, path) == (9_050, 9_000, 0, 50)
    pd.testing.assert_frame_equal(streamed.read_pings(), whole.read_pings())
    assert chunk_rows(tmp_path / "streamed.sqlite") == chunk_rows(tmp_path / "whole.sqlite")


def test_a_unit_day_split_over_batches_is_one_chunk(tmp_path, small_batches):
    rows = ping_rows(units=1, seconds=5_000, start="2024-05-08T20:00:00Z")  # one unit-day, ~330 kB
    path = write(tmp_path / "day.csv", HEADER + "\n".join(rows) + "\n")
    assert len(list(read_csv_batches(path))) > 10
    store = SQLiteStore(tmp_path / "db.sqlite")
    assert import_file(store, PINGS, path).imported == 5_000
    assert chunk_rows(tmp_path / "db.sqlite") == [("P1", 19_851, 5_000)]
    assert store.read_pings()["timestamp"].is_monotonic_increasing


def test_a_unit_day_written_in_two_goes_is_merged_and_counted_right(tmp_path, small_batches, small_buffer):
    first_half = ping_rows(units=1, seconds=3_000, start="2024-05-08T10:00:00Z")
    second_half = ping_rows(units=1, seconds=3_000, start="2024-05-08T12:00:00Z", seed=2)
    other_unit = [row.replace("P1,", "P9,", 1) for row in ping_rows(units=1, seconds=3_000)]
    # P1's day, then another unit (the buffer fills and writes P1's day), then P1's day again:
    # new times, times given before in the file, and times already stored before the import
    store = SQLiteStore(tmp_path / "db.sqlite")
    import_file(store, PINGS, write(tmp_path / "before.csv", HEADER + "\n".join(second_half[-100:]) + "\n"))
    rows = first_half + other_unit + second_half + first_half[:70]
    path = write(tmp_path / "p.csv", HEADER + "\n".join(rows) + "\n")
    whole = SQLiteStore(tmp_path / "whole.sqlite")
    whole_file_import(whole, tmp_path / "before.csv")
    summary = import_file(store, PINGS, path)
    assert figures(summary) == whole_file_import(whole, path) == (9_070, 8_900, 100, 70)
    assert "8900 imported, 0 updated, 170 skipped (70 repeated in the file for the same unit and time, " \
           "100 already stored)" in summary.line()
    assert [row[:2] for row in chunk_rows(tmp_path / "db.sqlite")] == [("P1", 19_851), ("P9", 19_812)]
    pd.testing.assert_frame_equal(store.read_pings(), whole.read_pings())


def test_reimporting_a_streamed_file_stores_nothing_new(tmp_path, small_batches, small_buffer):
    rows = ping_rows(units=2, seconds=2_000)
    path = write(tmp_path / "p.csv", HEADER + "\n".join(rows + rows[:10]) + "\n")
    store = SQLiteStore(tmp_path / "db.sqlite")
    assert figures(import_file(store, PINGS, path)) == (4_010, 4_000, 0, 10)
    before = store.read_pings()
    again = import_file(store, PINGS, path)
    assert figures(again) == (4_010, 0, 4_000, 10)
    assert again.line().endswith("0 imported, 0 updated, 4010 skipped (10 repeated in the file for the same unit "
                                 "and time, 4000 already stored)")
    pd.testing.assert_frame_equal(store.read_pings(), before)


def test_a_file_with_only_its_header_stores_nothing(tmp_path):
    summary = import_file(SQLiteStore(tmp_path / "db.sqlite"), PINGS, write(tmp_path / "p.csv", HEADER))
    assert figures(summary) == (0, 0, 0, 0)


# -- all or nothing, errors named as before ------------------------------------------------------------


BAD_ROWS = {
    "timestamp": lambda row: row.replace("T00:", "T25:", 1),
    "mode": lambda row: row.replace(",foot,", ",walking,").replace(",bike,", ",walking,"),
    "lat/lon": lambda row: ",".join(row.split(",")[:2] + [row.split(",")[3], row.split(",")[2]] + row.split(",")[4:]),
    "crew": lambda row: row.replace(",gps-", ",x").rsplit(",", 2)[0] + ",21,gps",
    "unit_id": lambda row: "P\u202e1" + row[2:],
    "lat": lambda row: ",".join(row.split(",")[:2] + ["56.6x7"] + row.split(",")[3:]),
}


@pytest.mark.parametrize("field", BAD_ROWS)
def test_a_bad_row_near_the_end_stores_nothing_and_is_named_as_before(tmp_path, small_batches, small_buffer, field):
    store = SQLiteStore(tmp_path / "db.sqlite")
    import_file(store, PINGS, write(tmp_path / "first.csv", HEADER + "\n".join(ping_rows(2, 50)) + "\n"))
    before = store.read_pings()
    rows = ping_rows(units=4, seconds=1_500, start="2024-04-01T00:00:00Z")  # 6,000 rows, many batches
    rows[-3] = BAD_ROWS[field](rows[-3])
    path = write(tmp_path / "big.csv", HEADER + "\n".join(rows) + "\n")
    with pytest.raises(ValidationError) as streamed:
        import_file(store, PINGS, path)
    with pytest.raises(ValidationError) as whole:
        validate(PINGS, read_csv_records(path).raw, str(path))
    assert (streamed.value.file, streamed.value.row, streamed.value.field) == (str(path), "row 5999", field)
    assert str(streamed.value) == str(whole.value)
    assert store.count(PINGS) == 100
    pd.testing.assert_frame_equal(store.read_pings(), before)


def test_an_error_after_the_buffer_was_written_rolls_everything_back(tmp_path, small_batches, small_buffer):
    rows = ping_rows(units=3, seconds=4_000)
    rows[-1] = rows[-1].replace("2024-03-30T", "2024-02-30T")
    path = write(tmp_path / "p.csv", HEADER + "\n".join(rows) + "\n")
    writes = []
    store = SQLiteStore(tmp_path / "db.sqlite")
    with pytest.raises(ValidationError) as info:
        import_file(store, PINGS, path, progress=lambda step, done, total: writes.append(done) if step == "writing" else None)
    assert writes, "unit-days were written before the bad row was read"
    assert (info.value.row, info.value.field) == ("row 12001", "timestamp")
    assert "cannot parse '2024-02-30T" in info.value.message
    assert store.count(PINGS) == 0 and store.is_empty()


def test_many_bad_rows_in_a_batch_before_the_end_say_what_was_checked(tmp_path, small_batches):
    rows = ping_rows(units=2, seconds=3_000)
    rows[100:110] = [row.replace(",foot,", ",skate,").replace(",bike,", ",skate,") for row in rows[100:110]]
    path = write(tmp_path / "p.csv", HEADER + "\n".join(rows) + "\n")
    with pytest.raises(ValidationError) as info:
        import_file(SQLiteStore(tmp_path / "db.sqlite"), PINGS, path)
    assert (info.value.row, info.value.field) == ("row 102", "mode")
    assert info.value.message.startswith("'skate' is not one of foot, bike, car, horse (9 more rows up to row ")
    assert info.value.message.endswith("have this problem; the rows after them were not checked)")


def test_file_level_errors_are_those_of_the_whole_file_reader(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite")
    cases = {
        "missing.csv": None,
        "empty.csv": b"",
        "no-lat.csv": b"unit_id,timestamp,lon,mode\nP1,2024-01-01T00:00:00Z,12.8,foot\n",
        "latin1.csv": ("unit_id,timestamp,lat,lon,mode,source\nP1,2024-01-01T00:00:00Z,56.6,12.8,foot,"
                       "G\xe4vle\n").encode("latin-1"),
        "xy.csv": b"unit_id,timestamp,x,y,mode\nP1,2024-01-01T00:00:00Z,370000,6280000,foot\n",
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(ValidationError) as streamed:
            import_file(store, PINGS, path)
        with pytest.raises(ValidationError) as whole:
            validate(PINGS, read_csv_records(path).raw, str(path))
        assert str(streamed.value) == str(whole.value), name
    assert store.is_empty()


# -- progress -------------------------------------------------------------------------------------------


def test_progress_moves_on_through_reading_validating_and_writing(tmp_path, small_batches, monkeypatch):
    monkeypatch.setattr(pingchunks, "FRAME_PINGS", 1_000)  # the store gets a frame per unit-day
    path = write(tmp_path / "p.csv", HEADER + "\n".join(ping_rows(units=3, seconds=20_000)) + "\n")
    calls = []
    import_file(SQLiteStore(tmp_path / "db.sqlite"), PINGS, path, progress=lambda *call: calls.append(call))
    steps = [step for step, _, _ in calls]
    assert steps.index("writing") == len(steps) - steps[::-1].index("validating")  # writing comes after the rest
    reading = [(done, total) for step, done, total in calls if step == "reading"]
    validating = [(done, total) for step, done, total in calls if step == "validating"]
    writing = [(done, total) for step, done, total in calls if step == "writing"]
    assert len(reading) == len(validating) > 5
    assert steps[:len(reading) * 2] == ["reading", "validating"] * len(reading)
    size = path.stat().st_size
    file_scale = [done for step, done, _ in calls if step != "writing"]
    assert file_scale == sorted(file_scale) and file_scale[-1] == size
    assert all(total == size for _, total in reading + validating)
    assert [done for done, _ in writing] == list(range(1, 7)) and {total for _, total in writing} == {6}  # 3 units, 2 days


# -- the fast path gives what validate gives ---------------------------------------------------------


def batches_of(path: Path, **options) -> list:
    return list(read_csv_batches(path, **options))


def same_as_validate(batch) -> pd.DataFrame:
    """The fast (or not) validated batch, checked against geo.layers.validate of the same rows."""
    got = validate_ping_batch(batch)
    want = validate(PINGS, batch.records().raw, batch.source)
    got = got[~got.duplicated(["unit_id", "timestamp"])].reset_index(drop=True)
    got = got.astype({name: "str" for name in ("unit_id", "mode", "source")})
    pd.testing.assert_frame_equal(got, want)
    return got


FORMS = {
    "export": "%Y-%m-%dT%H:%M:%S.000Z",
    "seconds Z": "%Y-%m-%dT%H:%M:%SZ",
    "space": "%Y-%m-%d %H:%M:%S",
    "local": "%Y-%m-%dT%H:%M:%S",
    "local fraction": "%Y-%m-%dT%H:%M:%S.%f",
}


@pytest.mark.parametrize("form", FORMS)
def test_the_fast_path_gives_what_validate_gives(tmp_path, form, monkeypatch):
    calls = []
    monkeypatch.setattr("service.imports.validate", lambda *a, **k: calls.append(a[1]) or validate(*a, **k))
    rows = ping_rows(units=3, seconds=3_000, start="2024-03-31T00:10:00Z", form=FORMS[form])  # spring forward
    rows = [row.replace(",foot,", ",Foot ,").replace("P2,", " P2,", 1) for row in rows]
    path = write(tmp_path / "p.csv", HEADER + "\n".join(rows) + "\n")
    for batch in batches_of(path):
        same_as_validate(batch)
    assert max(len(raw) for raw in calls) < 10, "validated on the fast path (only distinct values by validate)"


def test_the_fast_path_takes_offsets_fractions_and_formula_apostrophes(tmp_path, monkeypatch):
    rows = []
    for k, (offset, fraction) in enumerate([("+01:00", ".1"), ("-0530", ".123456789"), ("+02", ""), ("Z", ".12")]):
        for s in range(50):
            rows.append(f"P{k},2024-10-27T0{k}:{s:02d}:59{fraction}{offset},{LAT + s * 1e-6:.9f},{LON:.4f},car,,'=x")
    path = write(tmp_path / "p.csv", "unit_id,timestamp,lat,lon,mode,crew,source\n" + "\n".join(rows) + "\n")
    for rows_of_one_form in [rows[i:i + 50] for i in range(0, 200, 50)]:
        one = write(tmp_path / "one.csv", "unit_id,timestamp,lat,lon,mode,crew,source\n" + "\n".join(rows_of_one_form) + "\n")
        batch, = batches_of(one)
        assert iso_times(batch.table.column("timestamp")) is not None
        frame = same_as_validate(batch)
        assert set(frame["source"]) == {"=x"} and set(frame["crew"]) == {1}
    batch, = batches_of(path)  # four forms in one batch: validate's own parsing, the same frame
    assert iso_times(batch.table.column("timestamp")) is None
    same_as_validate(batch)


def test_the_fast_path_reads_x_y_in_another_crs(tmp_path):
    x, y = Transformer.from_crs(WGS84, SWEREF99TM, always_xy=True).transform(LON, LAT)
    path = write(tmp_path / "p.csv", "unit_id,timestamp,x,y,mode\n" + "".join(
        f"P1,2024-01-01T00:00:{s:02d}Z,{x + s:.2f},{y:.2f},foot\n" for s in range(60)))
    batch, = batches_of(path, crs="EPSG:3006")
    assert batch.positions() is not None
    frame = same_as_validate(batch)
    assert frame["lon"].iloc[0] == pytest.approx(LON, abs=1e-6)


def test_a_decimal_comma_is_read_fast_as_the_whole_file_reader_reads_it(tmp_path):
    path = write(tmp_path / "p.csv", HEADER + "".join(
        f'P1,2024-01-01T00:00:{s:02d}Z,"56,67{s:02d}","12,8578",foot,2,gps\n' for s in range(60)))
    batch, = batches_of(path)
    assert batch.positions() is not None
    assert same_as_validate(batch)["lat"].iloc[7] == 56.6707


def test_unusual_values_leave_the_fast_path_for_validate(tmp_path):
    good = f"P1,2024-01-01T00:00:00Z,{LAT},{LON},foot,2,gps"
    for unusual in ["P1,2024-01-01T00:00:00Z,56.6744,0,foot,2,gps",  # a zero: its sign would need pandas
                    'P1,2024-01-01T00:00:00Z,"56,6744",12.8578,foot,2,gps',  # a decimal comma
                    "P1,2024-01-01T00:00:00Z, 56.6744,12.8578,foot,2,gps",  # a space
                    "P1,2024-01-01 00:00:00 +01:00,56.6744,12.8578,foot,2,gps",  # the police API's space
                    "P1,2020-03-29T02:30:00,56.6744,12.8578,foot,2,gps"]:  # a local time that does not exist
        path = write(tmp_path / "p.csv", HEADER + good.replace("00:00:00", "00:00:01") + "\n" + unusual + "\n")
        batch, = batches_of(path)
        if "02:30" in unusual:
            with pytest.raises(ValidationError, match="daylight-saving"):
                validate_ping_batch(batch)
        else:
            same_as_validate(batch)


def test_a_point_inside_swedens_box_is_never_a_coordinate_problem():
    from geo.crs import SWEDEN_LONLAT_BOUNDS, coordinate_problems

    minx, miny, maxx, maxy = SWEDEN_LONLAT_BOUNDS
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(minx, maxx, 100_000), rng.uniform(miny, maxy, 100_000)
    lon[:4], lat[:4] = [minx, maxx, minx, maxx], [miny, maxy, maxy, miny]
    assert all(problem is None for problem in coordinate_problems(lon, lat))


def random_times(rng: random.Random, n: int, sorted_run: bool) -> list[str]:
    separator = rng.choice("T ")
    fraction = rng.choice(["", ".5", ".123", ".123456", ".1234567", ".123456789"])
    zone = rng.choice(["Z", "", "+01:00", "-05:30", "+0100", "+01", "-12", "+23:59", "+24:00", "+01:60", "-00:00"])
    first = rng.randint(-2_208_988_800 - 3 * 86_400, 7_258_118_400 + 3 * 86_400)
    odd = rng.randrange(n) if rng.random() < 0.3 else -1
    values = []
    for k in range(n):
        at = pd.Timestamp(first + (k if sorted_run else rng.randint(-10**6, 10**6)), unit="s")
        year, month, day, hour = at.year, at.month, at.day, at.hour
        if k == odd:  # a date that is not in the calendar, or a time that is not of a day
            month, day, hour = rng.choice([(2, 29, 0), (2, 30, 1), (4, 31, 2), (13, 1, 3), (0, 5, 4), (6, 0, 5),
                                           (month, day, 24)])
        digits = "".join(rng.choice("0123456789") for _ in range(len(fraction) - 1))
        values.append(f"{year:04d}-{month:02d}-{day:02d}{separator}{hour:02d}:{at.minute:02d}:{at.second:02d}"
                      f"{'.' + digits if fraction else ''}{zone}")
    return values


def test_iso_times_agree_with_parse_utc_wherever_they_apply():
    rng = random.Random(13)
    fast = 0
    for trial in range(800):
        values = random_times(rng, rng.choice([1, 3, 40, 200]), sorted_run=trial % 2 == 0)
        parsed = iso_times(pa.array(values))
        if parsed is None:
            continue
        ns, aware = parsed
        if not aware:  # wall-clock times: placed in Stockholm as parse_utc places them, or left to it
            local = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(LOCAL_TZ, ambiguous="NaT",
                                                                           nonexistent="NaT")
            if local.hasnans:
                continue
            ns = local.asi8
        want, problems = parse_utc(pd.Series(values))
        if ((ns < SUPPORTED_START.value) | (ns >= SUPPORTED_END.value)).any():
            assert problems.notna().any()  # left to parse_utc, which refuses them
            continue
        assert problems.isna().all(), [(v, p) for v, p in zip(values, problems) if p]
        assert list(ns - ns % 1_000_000) == list(want.dt.floor("ms").to_numpy(dtype="datetime64[ns]").view(np.int64))
        fast += len(values)
    assert fast > 30_000


# -- the reader: the rows of the whole-file reader, batch by batch ---------------------------------------


@pytest.mark.parametrize("header, body", [
    ("unit_id,timestamp,lat,lon,mode,crew\n", "P1,x,56.6,12.8,foot\nP1,y,56.6,12.8,foot,2\n"),  # a short row
    ("unit_id,timestamp,lat,lon\n", "P1,x,56.67,12.85\n   \n\nP2,y,1,2\n"),  # blank and whitespace lines
    ("unit_id,timestamp,lat,lon,source\n", 'P1,x,56.67,12.85,"a\nb"\nP2,y,1,2,c\n'),  # a quoted line break
    ('"unit_id","timestamp","lat","lon"\r\n', '"P1","x","56.67","12.85"\r\n'),  # quoted, CRLF
    ("\ufeffunit_id,timestamp,lat,lon,a,a\n", "P1,x,56.6,12.8,1,'-2\n"),  # BOM, a repeated name, an apostrophe
    ("\n\nunit_id,timestamp,lat,lon\n", "P1,x,56.6,12.8\n"),  # blank lines before the header
])
def test_batches_hold_the_records_of_the_whole_file_reader(tmp_path, small_batches, header, body):
    path = write(tmp_path / "odd.csv", header + body * 300)  # several batches
    whole = read_csv_records(path).raw
    streamed = pd.concat([batch.records().raw for batch in read_csv_batches(path)], ignore_index=True)
    pd.testing.assert_frame_equal(streamed, whole)


# -- bounded memory --------------------------------------------------------------------------------------


CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})

def peak_mb():  # this process's own high-water mark (ru_maxrss would count the parent's at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from pathlib import Path
from geo.layers import PINGS
from service.store import SQLiteStore
path, db, how = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
store = SQLiteStore(db)
before = peak_mb()
if how == "streamed":
    from service.imports import import_file
    imported = import_file(store, PINGS, path).imported
else:
    from geo.io.csvfile import read_csv_records
    from geo.layers import validate
    imported = store.write_pings(validate(PINGS, read_csv_records(path).raw, str(path))).inserted
print(json.dumps({{"imported": imported, "before_mb": before, "peak_mb": peak_mb()}}))
"""


def import_in_a_child(csv: Path, db: Path, how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(csv), str(db), how],
                          capture_output=True, text=True, check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_memory_stays_bounded_where_the_whole_file_path_grows_with_the_file(tmp_path):
    spec = importlib.util.spec_from_file_location("import_pings", ROOT / "benchmarks" / "import_pings.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    bench.write_pings_csv(big, 1_500_000)
    bench.write_pings_csv(small, 300_000)
    streamed = import_in_a_child(big, tmp_path / "streamed.sqlite", "streamed")
    whole = import_in_a_child(small, tmp_path / "whole.sqlite", "whole-file")
    assert streamed["imported"] == 1_500_000 and whole["imported"] == 300_000
    streamed_mb = streamed["peak_mb"] - streamed["before_mb"]
    whole_mb_per_million = (whole["peak_mb"] - whole["before_mb"]) / 0.3
    # measured on the project's 2-core machine: streamed, 260 MB over the 155 MB the process had
    # before (peak 414 MB) at three million pings; the whole file, 140 MB at 300,000 pings, about
    # 470 MB a million (at three million, 1.2 GB peak, measured with benchmarks/import_pings.py);
    # here half of that file: the streamed import stays within its budget, the whole file would not
    assert streamed_mb < 400, streamed
    assert 1.5 * whole_mb_per_million > 400, whole
    assert streamed["peak_mb"] < 800


# -- the buffer on its own -------------------------------------------------------------------------------


def frame_of(unit: str, seconds: list[int], source: str = "gps", lon: float = LON) -> pd.DataFrame:
    times = pd.Timestamp("2024-05-08T10:00:00Z") + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame({"unit_id": unit, "timestamp": times, "mode": "foot", "crew": 2, "source": source,
                          "lon": lon, "lat": LAT})
    return validate(PINGS, frame, "t")


def test_the_buffer_keeps_the_first_ping_of_a_time_across_frames_and_writes():
    with PingBuffer(budget_bytes=10 * 27) as buffer:
        buffer.add(frame_of("A", [0, 1, 2], lon=12.0))
        buffer.add(frame_of("B", [0]))  # A's day is closed
        written = list(buffer.frames())  # not over budget: A's closed day is handed on only on request
        buffer.add(frame_of("A", [2, 3], lon=13.0))  # 2 was given before (kept: the first), 3 is new
        buffer.add(frame_of("A", [3, 4], source="other", lon=14.0))
        written += list(buffer.frames(final=True))
        assert buffer.repeated == 2 and buffer.held == 0
    pings = pd.concat(written, ignore_index=True).astype({"unit_id": "str", "source": "str"})
    assert pings[["unit_id", "lon", "source"]].values.tolist() == [
        ["A", 12.0, "gps"], ["A", 12.0, "gps"], ["A", 12.0, "gps"], ["A", 13.0, "gps"], ["A", 14.0, "other"],
        ["B", LON, "gps"]]
    assert pings["timestamp"].dt.second.tolist() == [0, 1, 2, 3, 4, 0]
