"""Operating the service safely: token lifecycle (expiry, revocation, last use), online backups
that are consistent snapshots, restores into a running service that refuse bad files, demo data
kept out of real databases, and an import killed with SIGKILL leaving all or nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from geo.layers import INCIDENTS, LAYERS, PINGS, validate
from service.app import create_app
from service.auth import create_token, token_id_of
from service.cli import app
from service.settings import GeographySettings, Settings, StoreSettings
from service.store import SQLiteStore, Unavailable
from service.store.embedded import SCHEMA_VERSION

runner = CliRunner()
REPORT_FORM = {"category": "graffiti", "lat": "56.6744", "lon": "12.8578"}


def invoke(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"}, **kwargs)


def service(db: Path) -> TestClient:
    return TestClient(create_app(Settings(store=StoreSettings(db=db), geography=GeographySettings())))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def incidents(start: int, n: int, source: str = "t"):
    raw = pd.DataFrame({"id": [f"i{k}" for k in range(start, start + n)], "occurred_at": "2020-05-08T22:15:00+02:00",
                        "category": "stöld", "lon": 12.8578, "lat": 56.6744, "source": source})
    return validate(INCIDENTS, raw, "test")


def counts(db: Path) -> dict[str, int]:
    store = SQLiteStore(db)
    return {name: store.count(schema) for name, schema in LAYERS.items()}


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


# -- tokens --------------------------------------------------------------------------------


def test_token_create_list_revoke_and_expiry_through_the_real_api(tmp_path):
    db = tmp_path / "db.sqlite"
    created = invoke("token", "create", "--role", "municipality", "--label", "Gatukontoret", "--days", "30", "--db", db)
    assert created.exit_code == 0, created.output
    staff = created.stdout.strip()
    assert created.stdout == staff + "\n", "only the token on stdout"
    assert token_id_of(staff) in created.stderr and staff not in created.stderr
    doomed = invoke("token", "create", "--role", "municipality", "--label", "Stulen laptop", "--db", db).stdout.strip()
    expiring = invoke("token", "create", "--role", "municipality", "--expires", "2099-01-01", "--db", db).stdout.strip()
    store = SQLiteStore(db)
    expiry = {r.token_id: r.expires_at for r in store.tokens()}
    assert expiry[token_id_of(expiring)] == pd.Timestamp("2098-12-31T23:00:00Z"), "the start of the day in Stockholm"
    assert expiry[token_id_of(staff)] == pytest.approx(pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=30),
                                                       abs=pd.Timedelta(minutes=1))
    assert expiry[token_id_of(doomed)] is None
    with store.transaction() as con:  # it expired a minute ago
        con.exec_driver_sql("UPDATE api_tokens SET expires_at = ? WHERE token_id = ?",
                    ((pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                     token_id_of(expiring)))

    for bad, message in ((["--expires", "2020-01-01"], "is not in the future"),
                         (["--expires", "2099-01-01", "--days", "3"], "not both"),
                         (["--days", "0"], "--days"), (["--role", "mayor"], "unknown role")):
        refused = invoke("token", "create", *(["--role", "police"] if "--role" not in bad else []), *bad, "--db", db)
        assert refused.exit_code == 2 and message in refused.stderr and refused.stdout == "", bad
    assert len(store.tokens()) == 3

    with service(db) as client:
        url = "/api/reports/no-such-report/photo"
        assert client.get(url, headers=bearer(staff)).status_code == 404, "an active token passes"
        assert client.get(url, headers=bearer(doomed)).status_code == 404
        revoked = invoke("token", "revoke", token_id_of(doomed), "--db", db)
        assert revoked.exit_code == 0 and "Revoked " + token_id_of(doomed) in revoked.stdout
        for token in (doomed, expiring):
            refused = client.get(url, headers=bearer(token))
            assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        assert client.get(url, headers=bearer(staff)).status_code == 404

    again = invoke("token", "revoke", token_id_of(doomed), "--db", db)
    assert again.exit_code == 0 and "revoked already" in again.stdout
    unknown = invoke("token", "revoke", "tok-0000000000", "--db", db)
    assert unknown.exit_code == 2 and "'tok-0000000000'" in unknown.stderr

    listing = invoke("token", "list", "--db", db)
    assert listing.exit_code == 0, listing.output
    for token in (staff, doomed, expiring):
        assert token not in listing.output and hashlib.sha256(token.encode()).hexdigest() not in listing.output
    lines = {line.split()[1]: line for line in listing.stdout.splitlines() if "tok-" in line}
    assert "active" in lines[token_id_of(staff)] and "Gatukontoret" in lines[token_id_of(staff)]
    assert "revoked" in lines[token_id_of(doomed)] and "expired" in lines[token_id_of(expiring)]
    used = {r.token_id: r.last_used_at for r in store.tokens()}
    assert used[token_id_of(staff)] is not None and used[token_id_of(expiring)] is None
    assert lines[token_id_of(expiring)].count("never") == 1, "last used: never"
    assert lines[token_id_of(staff)].count("never") == 0, "expires in 30 days, used just now"


# -- backups -------------------------------------------------------------------------------


def test_a_backup_holds_what_is_only_in_the_write_ahead_log(tmp_path):
    db = tmp_path / "db.sqlite"
    store = SQLiteStore(db)
    reader = sqlite3.connect(db)  # an open connection keeps SQLite from checkpointing on close
    try:
        reader.execute("SELECT count(*) FROM stadskarna_meta").fetchone()
        store.write_features(INCIDENTS, incidents(0, 50))
        assert Path(f"{db}-wal").stat().st_size > 0
        shutil.copyfile(db, tmp_path / "file-only.sqlite")  # the main file without its log
        file_only = sqlite3.connect(tmp_path / "file-only.sqlite")
        assert file_only.execute("SELECT count(*) FROM incidents").fetchone() == (0,), "the rows are only in the log"
        file_only.close()
        os.chmod(db, 0o644)
        result = invoke("backup", tmp_path / "backup.sqlite", "--db", db)
        assert result.exit_code == 0, result.output
        assert counts(tmp_path / "backup.sqlite")["incidents"] == 50
        assert (tmp_path / "backup.sqlite").stat().st_mode & 0o777 == 0o600, "for its owner only, whatever the database"
    finally:
        reader.close()


class Writer(threading.Thread):
    """Inserts incidents in batches of ``batch``, one transaction each, until stopped."""

    def __init__(self, db: Path, batch: int = 50) -> None:
        super().__init__(daemon=True)
        self.store, self.batch, self.done, self.error = SQLiteStore(db), batch, 0, None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.is_set() and self.done < 400:
                self.store.write_features(INCIDENTS, incidents(self.done * self.batch, self.batch))
                self.done += 1
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def wait_for(self, batches: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.done < batches and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.error is None and self.done >= batches, self.error


def test_backups_while_writing_are_committed_snapshots_and_restore_into_a_running_service(tmp_path):
    db = tmp_path / "live.sqlite"
    writer = Writer(db)
    writer.start()
    backups = []
    try:
        writer.wait_for(1)
        for k in range(4):
            path = tmp_path / f"backup-{k}.sqlite"
            result = invoke("backup", path, "--db", db)
            assert result.exit_code == 0, result.output
            said = " ".join(result.stdout.split())
            assert "integrity check ok" in said and f"schema version {SCHEMA_VERSION}" in said
            backups.append((path, counts(path)["incidents"]))
            assert f"│ incidents │ {backups[-1][1]:>7,} │" in result.stdout, "what the backup holds"
            writer.wait_for(writer.done + 1)
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    total = counts(db)["incidents"]
    assert total == writer.done * 50
    seen = [n for _, n in backups]
    for path, n in backups:
        assert integrity(path) == "ok"
        assert n % 50 == 0 and 0 < n < total, "a committed prefix, never part of a batch"
    assert seen == sorted(seen) and len(set(seen)) == len(seen), "each backup later than the one before"
    assert not list(tmp_path.glob(".*partial*")), "no temporary files left"

    restored_from, expected = backups[0]
    with service(db) as client:
        assert client.get("/health").json()["records"]["incidents"] == total
        version = client.app.state.context.store.data_version()
        result = invoke("restore", restored_from, "--db", db, "--yes")
        assert result.exit_code == 0, result.output
        assert client.app.state.context.store.data_version() > version, "no page cached before is served after"
        health = client.get("/health").json()
        assert health["records"] == {"incidents": expected, "lights": 0, "reports": 0, "patrols": 0, "events": 0,
                                     "cameras": 0}
        posted = client.post("/api/reports", data=REPORT_FORM)
        assert posted.status_code == 201, posted.text
        assert client.get("/health").json()["records"]["reports"] == 1
        assert client.get("/api/layers/incidents?limit=1").json()["numberMatched"] == expected
    safety = list(tmp_path.glob("live.sqlite.before-restore-*.sqlite"))
    assert len(safety) == 1 and str(safety[0]) in " ".join(result.stdout.split())
    assert integrity(safety[0]) == "ok" and counts(safety[0])["incidents"] == total
    assert integrity(db) == "ok" and counts(db)["incidents"] == expected
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no scratch files left"


def test_restore_asks_first_and_waits_for_or_gives_up_on_another_writer(tmp_path, monkeypatch):
    db, backup = tmp_path / "db.sqlite", tmp_path / "backup.sqlite"
    store = SQLiteStore(db)
    store.write_features(INCIDENTS, incidents(0, 50))
    assert invoke("backup", backup, "--db", db).exit_code == 0
    store.write_features(INCIDENTS, incidents(50, 50))

    declined = invoke("restore", backup, "--db", db, input="n\n")
    assert declined.exit_code == 1 and "Nothing was restored" in declined.output
    assert f"Replace everything in {db}" in " ".join(declined.output.split())
    assert counts(db)["incidents"] == 100 and not list(tmp_path.glob("*before-restore*"))

    def hold_the_write_lock(seconds: float, locked: threading.Event) -> None:
        with SQLiteStore(db).transaction() as con:
            con.exec_driver_sql("INSERT OR REPLACE INTO stadskarna_meta VALUES ('held', ?)", (f"{seconds} s",))
            locked.set()
            time.sleep(seconds)

    monkeypatch.setattr("service.cli.backups.RESTORE_WAIT_S", 0.3)
    locked = threading.Event()
    holder = threading.Thread(target=hold_the_write_lock, args=(2.0, locked))
    holder.start()
    locked.wait(5)
    busy = invoke("restore", backup, "--db", db, "--yes")
    holder.join()
    assert busy.exit_code == 2 and "busy with another program's write" in busy.stderr, busy.output
    assert counts(db)["incidents"] == 100 and SQLiteStore(db).get_meta("held") == "2.0 s"
    assert not list(tmp_path.glob("*before-restore*")), "no safety copy when nothing was restored"

    # the lock taken by another program between opening the database and restoring into it
    live = SQLiteStore(db, busy_timeout_s=0.3)
    staged = tmp_path / "staged.sqlite"
    live.stage_restore(backup, staged)
    locked = threading.Event()
    holder = threading.Thread(target=hold_the_write_lock, args=(1.5, locked))
    holder.start()
    locked.wait(5)
    with pytest.raises(Unavailable, match="nothing was restored"):
        live.restore_from(staged, tmp_path / "safety-1.sqlite")
    holder.join()
    assert counts(db)["incidents"] == 100 and not (tmp_path / "safety-1.sqlite").exists()

    live.busy_timeout_s = 10.0
    locked = threading.Event()
    holder = threading.Thread(target=hold_the_write_lock, args=(0.5, locked))
    holder.start()
    locked.wait(5)
    live.restore_from(staged, tmp_path / "safety-2.sqlite")
    holder.join()
    assert counts(db)["incidents"] == 50 and live.get_meta("held") is None
    safety = tmp_path / "safety-2.sqlite"
    assert counts(safety)["incidents"] == 100 and SQLiteStore(safety).get_meta("held") == "0.5 s", \
        "the restore waited for the other writer, and the safety copy is what it replaced, that write included"


def test_restore_keeps_revoked_tokens_revoked(tmp_path):
    db, backup = tmp_path / "db.sqlite", tmp_path / "backup.sqlite"
    store = SQLiteStore(db)
    token = create_token(store, "police", "fot-1")
    assert invoke("backup", backup, "--db", db).exit_code == 0
    assert invoke("token", "revoke", token_id_of(token), "--db", db).exit_code == 0
    later = create_token(store, "planner", "made after the backup")
    result = invoke("restore", backup, "--db", db, "--yes")
    assert result.exit_code == 0, result.output
    assert token_id_of(token) in result.stdout and token_id_of(later) in result.stdout
    with service(db) as client:
        for stale in (token, later):
            assert client.get("/api/reports/x/photo", headers=bearer(stale)).status_code == 401


def test_restore_keeps_disabled_accounts_disabled_and_ends_sessions(tmp_path):
    from service.settings import StaffSettings
    from service.staff import add_user, session_user, sign_in

    db, backup = tmp_path / "db.sqlite", tmp_path / "backup.sqlite"
    store, now, staff = SQLiteStore(db), pd.Timestamp.now(tz="UTC"), StaffSettings()
    for name in ("anna", "bo"):
        add_user(store, name, "police", "rätt häst batteri", staff, now)
    session = sign_in(store, "bo", "rätt häst batteri", now, staff, "192.0.2.1")
    assert invoke("backup", backup, "--db", db).exit_code == 0
    assert invoke("user", "disable", "anna", "--db", db).exit_code == 0
    result = invoke("restore", backup, "--db", db, "--yes")
    assert result.exit_code == 0, result.output
    assert store.user("anna").disabled_at is not None, "the copy's active account stays disabled"
    assert session_user(store, session, now, staff) is None, "sessions of the copy end"
    store.close()


def corrupt_copy(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    page = 4096
    rng = np.random.default_rng(7)
    for start in range(3 * page, len(data), 2 * page):  # every other page from the fourth on
        data[start + 8:start + page] = rng.integers(0, 256, page - 8, dtype=np.uint8).tobytes()
    target.write_bytes(bytes(data))


@pytest.mark.parametrize("kind", ["text", "corrupt", "newer", "other", "missing"])
def test_restore_refuses_a_bad_file_and_leaves_the_database_alone(tmp_path, kind):
    db, good = tmp_path / "db.sqlite", tmp_path / "good.sqlite"
    store = SQLiteStore(db)
    store.write_features(INCIDENTS, incidents(0, 300))
    token = create_token(store, "police")
    assert invoke("backup", good, "--db", db).exit_code == 0
    store.write_features(INCIDENTS, incidents(300, 50))
    bad = tmp_path / "bad.sqlite"
    if kind == "text":
        bad.write_text("unit_id,timestamp,lat,lon\n" * 200, encoding="utf-8")
        message = "is not an SQLite database"
    elif kind == "corrupt":
        corrupt_copy(good, bad)
        message = "damaged"
    elif kind == "newer":
        shutil.copyfile(good, bad)
        con = sqlite3.connect(bad)
        con.execute("UPDATE stadskarna_meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
        con.close()
        message = f"schema version 99, newer than this program's {SCHEMA_VERSION}"
    elif kind == "other":
        con = sqlite3.connect(bad)
        con.execute("CREATE TABLE customers (id INTEGER)")
        con.close()
        message = "is not a Trygg stadskärna database (it holds tables customers)"
    else:
        message = "no such file"
    before = bad.read_bytes() if bad.exists() else None
    result = invoke("restore", bad, "--db", db, "--yes")
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and str(bad) in result.stderr and message in " ".join(result.stderr.split())
    assert counts(db)["incidents"] == 350 and [r.token_id for r in SQLiteStore(db).tokens()] == [token_id_of(token)]
    assert integrity(db) == "ok"
    assert (bad.read_bytes() if bad.exists() else None) == before, "the file given is not changed"
    left = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("db.sqlite-wal", "db.sqlite-shm", "db.sqlite-lock"))  # in use
    assert left == sorted(["db.sqlite", "good.sqlite"] + (["bad.sqlite"] if before is not None else [])), \
        "no safety copy, no scratch"


def test_backup_refuses_an_existing_file_and_a_missing_database(tmp_path):
    db, target = tmp_path / "db.sqlite", tmp_path / "backup.sqlite"
    SQLiteStore(db).write_features(INCIDENTS, incidents(0, 5))
    target.write_text("keep me", encoding="utf-8")
    exists = invoke("backup", target, "--db", db)
    assert exists.exit_code == 2 and str(target) in exists.stderr and "exists already" in exists.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    missing = invoke("backup", tmp_path / "new.sqlite", "--db", tmp_path / "typo.sqlite")
    assert missing.exit_code == 2 and f"no database at {tmp_path / 'typo.sqlite'}" in missing.stderr
    assert not (tmp_path / "typo.sqlite").exists() and not (tmp_path / "new.sqlite").exists()


def test_an_older_backup_is_migrated_when_restored(tmp_path):
    db, old = tmp_path / "db.sqlite", tmp_path / "v1.sqlite"
    con = sqlite3.connect(old)
    con.execute("CREATE TABLE stadskarna_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    con.executemany("INSERT INTO stadskarna_meta VALUES (?, ?)", [("schema_version", "1"), ("note", "from 2019")])
    con.commit()
    con.close()
    before = old.read_bytes()
    SQLiteStore(db).write_features(INCIDENTS, incidents(0, 5))
    result = invoke("restore", old, "--db", db, "--yes")
    assert result.exit_code == 0, result.output
    assert "migrated from version 1" in result.stdout
    store = SQLiteStore(db)
    assert store.schema_version() == SCHEMA_VERSION and store.get_meta("note") == "from 2019" and store.is_empty()
    assert old.read_bytes() == before


# -- demo data -------------------------------------------------------------------------------


def pings(n: int, source: str, unit: str = "fot-1", start: str = "2020-05-08T20:00:00Z"):
    times = pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="s")
    return validate(PINGS, pd.DataFrame({"unit_id": unit, "timestamp": times, "mode": "foot", "crew": 2,
                                         "lon": 12.857, "lat": 56.674, "source": source}), "t")


def test_records_not_from_counts_per_layer_in_sql(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite")
    assert store.records_not_from("synthetic") == {name: 0 for name in LAYERS}
    store.write_features(INCIDENTS, incidents(0, 4, "synthetic"))
    store.write_features(INCIDENTS, incidents(4, 3, "polisen"))
    store.write_pings(pings(100, "synthetic"))
    store.write_pings(pings(30, "gps-fot-1", start="2020-05-08T20:10:00Z"))  # the same unit-day: mixed sources
    store.write_pings(pings(20, "gps-bil-2", unit="bil-2"))
    assert store.records_not_from("synthetic") == {"incidents": 3, "lights": 0, "reports": 0, "patrols": 50, "events": 0, "cameras": 0}


def test_demo_refuses_a_database_with_patrol_pings_of_another_source(tmp_path):
    db = tmp_path / "db.sqlite"
    SQLiteStore(db).write_pings(pings(120, "gps"))
    result = invoke("demo", "--db", db)
    assert result.exit_code == 2 and "120 patrol pings" in result.stderr and "--force" in result.stderr
    assert counts(db) == {"incidents": 0, "lights": 0, "reports": 0, "patrols": 120, "events": 0, "cameras": 0}


def test_demo_into_an_empty_database_but_not_into_citizens_reports_unless_forced(tmp_path, monkeypatch, demo_year):
    import geo.demo

    def demo_data_once(*args, year: int = 2020, seed: int = 2020, **kwargs):
        """The real demo year 2020 (made once per run, tests/conftest.py) with a day of pings (the
        whole year is stored by tests/service/test_demo_command.py), to save seconds."""
        assert (year, seed) == (2020, 2020)
        all_pings = demo_year.pings
        first_day = all_pings["timestamp"] < all_pings["timestamp"].min() + pd.Timedelta(days=1)
        return dataclasses.replace(demo_year, pings=all_pings[first_day].reset_index(drop=True))

    monkeypatch.setattr(geo.demo, "demo_data", demo_data_once)
    empty = tmp_path / "empty.sqlite"
    loaded = invoke("demo", "--db", empty, "--year", "2020")
    assert loaded.exit_code == 0, loaded.output
    demo_counts = counts(empty)
    assert all(n > 0 for n in demo_counts.values())

    db = tmp_path / "db.sqlite"
    with service(db) as client:
        assert client.post("/api/reports", data=REPORT_FORM).status_code == 201
    refused = invoke("demo", "--db", db)
    assert refused.exit_code == 2, refused.output
    message = " ".join(refused.stderr.split())
    assert str(db) in message and "holds data that is not synthetic demo data (1 report)" in message
    assert "--force" in message
    assert counts(db) == {"incidents": 0, "lights": 0, "reports": 1, "patrols": 0, "events": 0, "cameras": 0}

    unchanged = invoke("demo", "--db", db, "--if-empty")
    assert unchanged.exit_code == 0 and "holds data already" in unchanged.stdout
    assert counts(db) == {"incidents": 0, "lights": 0, "reports": 1, "patrols": 0, "events": 0, "cameras": 0}

    forced = invoke("demo", "--db", db, "--force", "--year", "2020")
    assert forced.exit_code == 0, forced.output
    assert counts(db) == {**demo_counts, "reports": demo_counts["reports"] + 1}
    assert SQLiteStore(db).records_not_from("synthetic") == {"incidents": 0, "lights": 0, "reports": 1, "patrols": 0, "events": 0, "cameras": 0}
    assert SQLiteStore(empty).records_not_from("synthetic") == {name: 0 for name in LAYERS}, \
        "a database of demo data alone is not refused"


def test_demo_if_empty_leaves_a_database_with_real_data_alone(tmp_path):
    db = tmp_path / "db.sqlite"
    SQLiteStore(db).write_features(INCIDENTS, incidents(0, 3, "polisen"))
    result = invoke("demo", "--db", db, "--if-empty")
    assert result.exit_code == 0 and "holds data already; no demo data loaded" in " ".join(result.stdout.split())
    assert counts(db)["incidents"] == 3


# -- an import killed with SIGKILL ------------------------------------------------------------


def write_patrol_csv(path: Path, n: int = 300_000, units: int = 30) -> None:
    rng = np.random.default_rng(2020)
    per = n // units
    times = pd.Timestamp("2020-03-02T18:00:00Z") + pd.to_timedelta(np.tile(np.arange(per), units), unit="s")
    pd.DataFrame({"unit_id": np.repeat([f"fot-{u}" for u in range(units)], per),
                  "timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "lat": (56.674 + rng.normal(0, 0.001, n)).round(7),
                  "lon": (12.857 + rng.normal(0, 0.002, n)).round(7),
                  "mode": "foot"}).to_csv(path, index=False)


def test_an_import_killed_while_writing_leaves_all_or_nothing(tmp_path):
    csv, db = tmp_path / "pings.csv", tmp_path / "db.sqlite"
    write_patrol_csv(csv)
    SQLiteStore(db)  # created beforehand: the import's only write is its data
    wal = Path(f"{db}-wal")
    command = [str(Path(sys.executable).with_name("stadskarna")), "import", "patrols", str(csv), "--db", str(db)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline, killed_while_writing = time.monotonic() + 60, False
    try:
        while process.poll() is None and time.monotonic() < deadline:
            # the write transaction spills its pages into the log long before it commits
            if wal.exists() and wal.stat().st_size > 200_000:
                os.kill(process.pid, signal.SIGKILL)
                killed_while_writing = True
                break
            time.sleep(0.0005)
        else:
            assert process.poll() is not None, "the import neither wrote nor finished within 60 s"
    finally:
        if process.poll() is None and not killed_while_writing:
            process.kill()
        process.communicate(timeout=30)
    assert killed_while_writing and process.returncode == -signal.SIGKILL, "the import must be killed mid-write"
    assert integrity(db) == "ok"
    stored = SQLiteStore(db).count(PINGS)
    assert stored in (0, 300_000), f"{stored} pings: a partial import"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert SQLiteStore(db).count(PINGS) == 300_000 and integrity(db) == "ok"
    assert f"{300_000 - stored} imported" in rerun.stdout
