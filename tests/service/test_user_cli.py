"""``stadskarna user``: add (password from stdin, never echoed; Argon2 only), list, disable, set-role."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from service.store import AuditEvent, SQLiteStore
from service.cli import app
from tests.staff import PASSWORD

runner = CliRunner()


def user(db, *arguments: str, password: str | None = None):
    return runner.invoke(app, ["user", *arguments, "--db", str(db)], input=password)


def said(result) -> str:
    """What the command wrote (stdout and stderr), its lines joined as the console wrapped them."""
    return " ".join(result.output.split())


def test_add_reads_the_password_from_stdin_and_never_shows_it(tmp_path):
    db = tmp_path / "db.gpkg"
    added = user(db, "add", "Anna.K", "--role", "police", "--password-stdin", password=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "anna.k" in added.output and PASSWORD not in added.output
    with SQLiteStore(db) as store:
        record = store.user("anna.k")
        assert record.role == "police" and record.password_hash.startswith("$argon2id$")
        assert PASSWORD not in record.password_hash
        assert store.audit()[["actor", "action", "detail"]].iloc[0].tolist() == ["command line", "user add",
                                                                                 "anna.k as police"]
    listed = user(db, "list")
    assert listed.exit_code == 0 and "anna.k" in listed.output and "police" in listed.output and "active" in listed.output
    assert "argon2" not in listed.output and "password" in listed.output


def test_accounts_of_single_sign_on_are_listed_as_such(tmp_path):
    db = tmp_path / "db.gpkg"
    with SQLiteStore(db) as store:
        store.sso_account("https://login.example.org/t/v2.0", "sub-1", "cilla@halmstad.se", "planner",
                          AuditEvent(pd.Timestamp.now(tz="UTC"), "single sign-on", None, "", "", None))
    assert "single sign-on" in said(user(db, "list"))
    changed = user(db, "set-role", "cilla@halmstad.se", "police")
    assert changed.exit_code == 0 and "until their next single sign-on" in said(changed)


def test_add_refuses_short_passwords_taken_names_and_unknown_roles(tmp_path):
    db = tmp_path / "db.gpkg"
    short = user(db, "add", "anna", "--role", "police", "--password-stdin", password="kort\n")
    assert short.exit_code == 2 and "at least 12 characters" in said(short) and "kort" not in short.output
    assert user(db, "add", "anna", "--role", "police", "--password-stdin", password=PASSWORD).exit_code == 0
    taken = user(db, "add", "ANNA", "--role", "planner", "--password-stdin", password=PASSWORD)
    assert taken.exit_code == 2 and "exists" in said(taken)
    role = user(db, "add", "bo", "--role", "chief", "--password-stdin", password=PASSWORD)
    assert role.exit_code == 2 and "unknown role 'chief'" in said(role)
    name = user(db, "add", "a b", "--role", "police", "--password-stdin", password=PASSWORD)
    assert name.exit_code == 2 and "not allowed" in said(name)
    with SQLiteStore(db) as store:
        assert [record.name for record in store.users()] == ["anna"]


def test_add_asks_twice_without_echo(tmp_path):
    db = tmp_path / "db.gpkg"
    added = user(db, "add", "anna", "--role", "planner", password=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output, "the prompt hides what is typed"


def test_set_role_and_disable(tmp_path):
    db = tmp_path / "db.gpkg"
    user(db, "add", "anna", "--role", "police", "--password-stdin", password=PASSWORD)
    changed = user(db, "set-role", "anna", "municipality")
    assert changed.exit_code == 0 and "municipality" in changed.output
    assert user(db, "set-role", "anna", "chief").exit_code == 2
    assert user(db, "set-role", "nobody", "police").exit_code == 2
    disabled = user(db, "disable", "anna")
    assert disabled.exit_code == 0 and "Disabled anna" in said(disabled)
    again = user(db, "disable", "anna")
    assert again.exit_code == 0 and "disabled already" in said(again)
    assert user(db, "disable", "nobody").exit_code == 2
    assert "disabled" in user(db, "list").output
    audit = user(db, "audit")
    assert audit.exit_code == 0 and "user set-role" in audit.output and "user disable" in audit.output
    with SQLiteStore(db) as store:
        assert store.user("anna").role == "municipality" and store.user("anna").disabled_at is not None
