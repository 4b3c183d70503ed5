"""The Swedish catalogue against the code: every message a person can read (``Message("...")`` in
geo/ and service/, found by Babel's extractor) has a Swedish translation with the same placeholders,
and the catalogue holds nothing the code no longer says."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from service.i18n import catalogue_path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("geo", "service")


def extracted() -> dict[str, str]:
    """msgid → the file that says it, for every ``Message(...)`` of the packages."""
    found = {}
    for package in PACKAGES:
        for filename, _, msgid, _, _ in extract_from_dir(ROOT / package, method_map=[("**.py", "python")],
                                                         keywords={"Message": None}):
            found.setdefault(msgid, f"{package}/{filename}")
    return found


def placeholders(template: str) -> set[tuple[str, str | None, str]]:
    """The template's placeholders: (name, conversion, format spec)."""
    return {(name, conversion, spec) for _, name, spec, conversion in string.Formatter().parse(template)
            if name is not None}


@pytest.fixture(scope="module")
def swedish():
    with catalogue_path("sv").open("rb") as po:
        return read_po(po, locale="sv")


def test_the_code_says_messages_the_extractor_finds():
    messages = extracted()
    assert "no report {report_id!r}" in messages and "missing timestamp" in messages
    assert len(messages) > 150


def test_every_message_of_the_code_has_a_swedish_translation_with_the_same_placeholders(swedish):
    untranslated, different = [], []
    for msgid, where in extracted().items():
        entry = swedish.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            untranslated.append(f"{where}: {msgid!r}")
        elif placeholders(entry.string) != placeholders(msgid):
            different.append(f"{msgid!r} → {entry.string!r}")
    assert not untranslated, "messages without a Swedish translation (see README, Languages):\n" + "\n".join(
        untranslated)
    assert not different, "translations whose placeholders differ from the message's:\n" + "\n".join(different)


def test_the_catalogue_holds_no_message_the_code_no_longer_says(swedish):
    said = extracted()
    assert not [entry.id for entry in swedish if entry.id and entry.id not in said]


def readable(template: ast.expr) -> bool:
    """A template the extractor reads (a literal), or the template of a message written as one
    (``known.template``: a table's message given its parameters)."""
    return (isinstance(template, ast.Constant) and isinstance(template.value, str)) or (
        isinstance(template, ast.Attribute) and template.attr == "template")


def test_every_message_is_a_literal_the_extractor_can_read():
    """``Message(f"...")`` or ``Message(text)`` would be skipped by the extractor, never translated."""
    wrong = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "geo" / "errors.py":  # the type itself, rebuilding messages it was given
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Message"
                        and not (node.args and readable(node.args[0]))):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong
