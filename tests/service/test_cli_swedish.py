"""The command line in a Swedish locale: what it prints for people is Swedish (the catalogue's
translations, roles and statuses by their Swedish names, a decimal comma); in English otherwise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from geo.layers import PINGS, validate
from service.cli import app
from service.cli.common import console, errors
from service.store import SQLiteStore
from tests.languages import SWEDISH_LOCALE

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_tables(monkeypatch):
    """Tables as wide as they need, whatever the terminal the tests run in (the consoles read their width
    once; their own width set, and unset after the test)."""
    monkeypatch.setattr(console, "_width", 250)
    monkeypatch.setattr(errors, "_width", 250)


def swedish(*arguments: object, given: str | None = None):
    """The command run in a Swedish locale; its exit code checked."""
    result = runner.invoke(app, [str(a) for a in arguments], env=SWEDISH_LOCALE, input=given)
    assert result.exit_code == 0, result.output
    return result


def english(*arguments: object, given: str | None = None):
    """The command run in the tests' English locale; its exit code checked."""
    result = runner.invoke(app, [str(a) for a in arguments], input=given)
    assert result.exit_code == 0, result.output
    return result


def said(result) -> str:
    """What the command wrote, its lines joined as the console wrapped them."""
    return " ".join(result.output.split())


def test_user_list_is_swedish_with_the_roles_swedish_names(tmp_path):
    db = tmp_path / "db.gpkg"
    added = swedish("user", "add", "anna.k", "--role", "police", "--password-stdin", "--db", db,
                    given="rätt häst batteri häftklammer\n")
    assert "Lade till anna.k (polisen); kontot loggar in på /login." in said(added)
    listed = said(swedish("user", "list", "--db", db))
    assert "Personalkonton i" in listed and "(tider Europe/Stockholm)" in listed
    assert re.search(r"namn\s.*roll\s.*inloggning\s.*skapad\s.*läge", listed)
    assert re.search(r"anna\.k\s.*polisen\s.*lösenord\s.*aktiv", listed)
    assert re.search(r"anna\.k\s.*police\s.*password\s.*active", said(english("user", "list", "--db", db)))


def test_import_summary_is_swedish(tmp_path):
    db, file = tmp_path / "db.sqlite", tmp_path / "incidents.csv"
    file.write_text("id,occurred_at,category,lat,lon\na,2020-01-01T10:00:00Z,skadegörelse,56.674,12.857\n"
                    "b,2020-01-02T10:00:00Z,skadegörelse,56.674,12.857\n", encoding="utf-8")
    first = said(swedish("import", "incidents", file, "--db", db))
    assert f"incidents från {file}: 2 rader lästa, 2 importerade, 0 uppdaterade, 0 överhoppade" in first
    again = said(swedish("import", "incidents", file, "--db", db))
    assert "0 importerade, 0 uppdaterade, 2 överhoppade (2 redan sparade)" in again
    assert "2 rows read, 0 imported, 0 updated, 2 skipped (2 already stored)" in said(
        english("import", "incidents", file, "--db", db))


def test_backup_is_swedish_with_a_decimal_comma(tmp_path):
    db, copy = tmp_path / "db.sqlite", tmp_path / "copy.gpkg"
    SQLiteStore(db).close()
    result = said(swedish("backup", copy, "--db", db))
    size = re.search(r"Säkerhetskopia av \S+ skriven till \S+ \((\S+) MB\): integritetskontrollen godkänd, en Trygg "
                     r"stadskärna-databas, schemaversion \d+\.", result)
    assert size is not None and re.fullmatch(r"\d+(,\d)?", size.group(1)), result
    assert "Poster i" in result and re.search(r"lager\s.*poster\s.*│ incidents\s+│\s+0 │", result)
    english_size = re.search(r"Backup of \S+ written to \S+ \((\S+) MB\)", said(english("backup", tmp_path / "c2.gpkg",
                                                                                          "--db", db)))
    assert english_size is not None and english_size.group(1) == size.group(1).replace(",", ".")


def test_token_list_is_swedish(tmp_path):
    db = tmp_path / "db.sqlite"
    english("token", "create", "--role", "municipality", "--label", "Gatukontoret", "--db", db)
    listed = said(swedish("token", "list", "--db", db))
    assert "Åtkomstnycklar i" in listed
    assert re.search(r"id\s.*roll\s.*etikett\s.*skapad\s.*upphör\s.*senast använd\s.*läge", listed)
    assert re.search(r"tok-\S+\s.*kommunen\s.*Gatukontoret\s.*aldrig\s.*aldrig\s.*aktiv", listed)


def test_coverage_patrol_is_swedish_with_a_decimal_comma(tmp_path):
    """Half an hour of a foot patrol on Stora Torg: 0,5 h in Swedish, 0.5 h in English."""
    db = tmp_path / "patrol.sqlite"
    n = 1801
    pings = pd.DataFrame({"unit_id": "fot-1", "timestamp": pd.Timestamp("2020-05-01T19:00:00Z")
                          + pd.to_timedelta(np.arange(n), unit="s"), "mode": "foot", "crew": 2,
                          "lon": 12.8572, "lat": 56.6740})
    SQLiteStore(db).write_pings(validate(PINGS, pings, "test"))
    command = ("coverage", "patrol", "--year", 2020, "--as-of", "2020-06-30", "--db", db)
    result = said(swedish(*command))
    assert "Polisnärvaro i stadskärnan 2020 (t.o.m. 2020-06-30)" in result
    assert re.search(r"zon\s.*närvaro h\s.*polis-h", result) and re.search(r"│ Stora Torg\s+│\s+0,5 │\s+1 │", result)
    assert "Hela stadskärnan: 0,5 h närvaro av löftets 900 h" in result and "status: efter" in result
    in_english = said(english(*command))
    assert "Police presence in the city centre 2020" in in_english \
        and re.search(r"│ Stora Torg\s+│\s+0\.5 │\s+1\.0 │", in_english)
    assert "Whole centre: 0.5 h presence of the promise's 900 h" in in_english and "status: behind" in in_english


def help_of(*command: str, locale: dict[str, str]) -> str:
    """``stadskarna COMMAND --help`` as the installed script prints it in ``locale``: the help is
    built when the command line is imported, so it runs in a process of its own."""
    script = Path(sys.executable).with_name("stadskarna")
    result = subprocess.run([str(script), *command, "--help"], capture_output=True, text=True, timeout=120,
                            env={**os.environ, **locale, "COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def test_help_is_swedish_in_a_swedish_locale_and_english_otherwise():
    english_locale = {**SWEDISH_LOCALE, "LANG": "C"}
    main = help_of(locale=SWEDISH_LOCALE)
    assert "Trygg stadskärna: Halmstads medborgarlöfte för stadskärnan, mätt och kartlagt." in main
    assert "Importera en fil till ett lager: alla rader giltiga, annars sparas ingenting." in main
    assert "Personalkonton för inloggning på /login." in main
    imported = help_of("import", locale=SWEDISH_LOCALE)
    assert "Importera en fil till ett lager" in imported
    assert "Koordinatsystem för en CSV-fils x/y-kolumner, t.ex. EPSG:3006." in imported
    assert "Den inbäddade databasfilen (miljövariabel STADSKARNA_DB" in imported
    assert "Halmstad's city-centre citizen promise" in help_of(locale=english_locale)
    in_english = help_of("import", locale=english_locale)
    assert "Import a file into a layer: all rows valid, or nothing is stored." in in_english
    assert "CRS of a CSV file's x/y columns, e.g. EPSG:3006." in in_english and "Koordinatsystem" not in in_english
