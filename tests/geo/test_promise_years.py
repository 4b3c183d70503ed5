"""Promises year after year: the shipped 2021 file, what each promise rests on, promises carried
over from an earlier year (checked against that year's file), and a lighting promise to carry out
a programme."""

from __future__ import annotations

import copy
import shutil
from datetime import date

import pytest
import yaml

from geo.errors import ValidationError
from geo.programme import read_programme
from geo.promises import read_promises
from geo.status import YearClock, measures_status
from tests.conftest import ROOT

PROMISES_DIR = ROOT / "data" / "medborgarloften"
SHIPPED_2021 = PROMISES_DIR / "2021.yaml"


def test_the_shipped_2021_file_marks_what_every_promise_rests_on():
    year = read_promises(SHIPPED_2021)
    assert year.year == 2021
    assert "1 200 svar" in year.source and "71 %" in year.source, "the 2021 survey the promises rest on"
    assert all(p.basis is not None for p in year.promises), "each item is marked with what it rests on"
    by_kind = {p.id: p.basis.kind for p in year.promises}
    assert by_kind["kamerabevakning-ansokan"] == by_kind["kulturstraket-belysning"] == "public_source"
    carried = {p.id: p.carried_over_from for p in year.promises if p.basis.kind == "carried_over"}
    assert carried == {"polisnarvaro": "2020/polisnarvaro", "klotter-och-ogras": "2020/klotter-och-ogras",
                       "stadning": "2020/stadning", "centrumutvecklingsplan": "2020/centrumutvecklingsplan",
                       "purple-flag": "2020/purple-flag", "evenemang": "2020/evenemang"}
    assert year.promise("kamerabevakning-ansokan").previous == (2020, "kamerabevakning")
    lighting = year.promise("kulturstraket-belysning").measure
    assert lighting.goal == "carry_out"
    programme = read_programme(lighting.programme)
    assert programme.synthetic and "syntetiskt exempel" in programme.title
    assert all(p.basis is not None and p.basis.kind == "public_source" for p in read_promises(PROMISES_DIR / "2020.yaml").promises)


def folder_with_2020(tmp_path):
    """A promises folder holding the shipped 2020 file and its programme."""
    for name in ("2020.yaml", "belysningsprogram-2020.yaml", "belysning-kulturstraket-2021.yaml"):
        shutil.copy(PROMISES_DIR / name, tmp_path / name)
    return tmp_path


def refused_2021(tmp_path, change) -> ValidationError:
    doc = copy.deepcopy(yaml.safe_load(SHIPPED_2021.read_text(encoding="utf-8")))
    change(doc)
    path = folder_with_2020(tmp_path) / "2021.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_promises(path)
    assert caught.value.file == str(path)
    return caught.value


@pytest.mark.parametrize("reference, message", [
    ("2020/polisnarvaron", "no promise 'polisnarvaron' in 2020; the promises are polisnarvaro, klotter-och-ogras"),
    ("2019/polisnarvaro", "no promises file for 2019 beside this one"),
    ("2021/stadning", "2021 is not before 2021; a promise is carried over from an earlier year"),
])
def test_a_bad_reference_names_the_file_the_promise_and_the_field(tmp_path, reference, message):
    def change(doc):
        doc["promises"][2]["carried_over_from"] = reference

    error = refused_2021(tmp_path, change)
    assert (error.row, error.field) == ("promise 3 (id 'polisnarvaro')", "carried_over_from")
    assert message in str(error)


def test_a_reference_that_is_not_year_slash_id_is_refused(tmp_path):
    def change(doc):
        doc["promises"][3]["carried_over_from"] = "förra året"

    error = refused_2021(tmp_path, change)
    assert (error.row, error.field) == ("promise 4 (id 'klotter-och-ogras')", "carried_over_from")


def test_carried_over_says_from_where_and_basis_kinds_are_checked(tmp_path):
    def unsaid(doc):
        del doc["promises"][4]["carried_over_from"]

    error = refused_2021(tmp_path, unsaid)
    assert error.row == "promise 5 (id 'stadning')" and "carried_over_from: <year>/<id>" in str(error)

    def unknown_kind(doc):
        doc["promises"][0]["basis"]["kind"] = "rumour"

    error = refused_2021(tmp_path, unknown_kind)
    assert (error.row, error.field) == ("promise 1 (id 'kamerabevakning-ansokan')", "basis.kind")


def test_the_shipped_2021_file_reads_in_a_folder_of_its_own_years(tmp_path):
    folder = folder_with_2020(tmp_path)
    shutil.copy(SHIPPED_2021, folder / "2021.yaml")
    assert [p.id for p in read_promises(folder / "2021.yaml").promises][:2] == ["kamerabevakning-ansokan",
                                                                                 "kulturstraket-belysning"]


@pytest.mark.parametrize("measures, done, overdue, as_of, over, expected", [
    (3, 3, 0, date(2021, 11, 30), False, "met"),
    (3, 1, 0, date(2021, 7, 1), False, "on track"),
    (3, 1, 1, date(2021, 11, 30), False, "behind"),
    (3, 2, 1, date(2021, 12, 31), True, "not met"),
    (0, 0, 0, date(2021, 7, 1), False, "not measurable yet"),
])
def test_a_programme_to_carry_out_is_met_once_every_measure_is_done(measures, done, overdue, as_of, over, expected):
    assert measures_status(measures, done, overdue, YearClock(2021, as_of, over)) == expected


def test_the_cultural_routes_synthetic_programme_has_two_measures_done_of_three():
    programme = read_programme(PROMISES_DIR / "belysning-kulturstraket-2021.yaml")
    assert programme.done_by(date(2021, 12, 31)) == 2 and len(programme.measures) == 3
    assert programme.progress(date(2021, 11, 1))["overdue"] == ["kajen-osterbro-norre-katt"]
