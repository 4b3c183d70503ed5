"""The lighting programme as data: reading with located errors, progress by date, measures applied to
the lamps, and `stadskarna lighting plan` on the demo year."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from geo.errors import ValidationError
from geo.layers import LIGHTS, validate
from geo.programme import apply_measure, read_programme
from tests.conftest import ROOT
from tests.languages import SWEDISH_LOCALE

SHIPPED = ROOT / "data" / "medborgarloften" / "belysningsprogram-2020.yaml"


def written(tmp_path, change) -> ValidationError:
    doc = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_programme(path)
    return caught.value


def test_the_shipped_programme_is_a_labelled_synthetic_example():
    programme = read_programme(SHIPPED)
    assert programme.synthetic and "syntetiskt" in programme.title and programme.adopted == date(2020, 11, 24)
    assert [m.kind for m in programme.measures] == ["repair", "new_lamps", "replace_lamps", "dimming"]
    assert programme.measures[3].operating_profile() == ((1800.0, 1.0), (2300.0, 0.5))


def test_progress_counts_the_measures_due_and_done_by_a_date():
    programme = read_programme(SHIPPED)
    assert programme.progress(date(2020, 9, 30))["due"] == 0 and programme.progress(date(2020, 9, 30))["done_share"] is None
    late = programme.progress(date(2021, 10, 1))
    assert (late["due"], late["done"], late["done_on_time"]) == (3, 1, 1)
    assert late["overdue"] == ["gangvag-resecentrum", "strandgatan-byte"] and late["cost_done_sek"] == 18000
    assert not programme.adopted_by(date(2020, 11, 23)) and programme.adopted_by(date(2020, 11, 24))


def test_errors_name_the_measure_and_the_field(tmp_path):
    missing = written(tmp_path, lambda doc: doc["measures"][1].pop("lamps"))
    assert missing.row == "measure 2 (id 'gangvag-resecentrum')" and "needs lamps" in missing.message
    misspelt = written(tmp_path, lambda doc: doc["measures"][0].update(plannned=doc["measures"][0].pop("planned")))
    assert misspelt.field == "plannned" and "did you mean 'planned'" in misspelt.message
    twice = written(tmp_path, lambda doc: doc["measures"][1].update(id="laga-storgatan-norr"))
    assert twice.row == "measure 2 (id 'laga-storgatan-norr')" and twice.field == "id"
    bad_lamp = written(tmp_path, lambda doc: doc["measures"][1]["lamps"][0].update(height_m=99))
    assert "measure 2" in str(bad_lamp) and "height_m" in str(bad_lamp)
    profile = written(tmp_path, lambda doc: doc["measures"][3].update(profile="all night"))
    assert profile.field == "profile"


def test_a_measure_puts_up_takes_down_and_repairs_lamps():
    programme = read_programme(SHIPPED)
    repair, new, replace = programme.measures[:3]
    lamps = validate(LIGHTS, pd.DataFrame({"id": ["demo-light-0039", "demo-light-0315", "demo-light-0334", "other"],
                                           "lumen": 3000, "height_m": 5, "status": ["broken", "working", "working", "working"],
                                           "lon": 12.86, "lat": 56.67}), "test")
    repaired = apply_measure(lamps, repair.model_copy(update={"takes_down": ["demo-light-0039"]}))
    assert repaired.set_index("id").loc["demo-light-0039", "status"] == "working"
    replaced = apply_measure(lamps, replace).set_index("id")
    assert replaced.loc[["demo-light-0315", "demo-light-0334"], "status"].tolist() == ["removed", "removed"]
    assert replaced.loc[replaced.index.str.startswith("program-strandgatan"), "status"].eq("working").all()
    added = apply_measure(lamps, new)
    assert len(added) == len(lamps) + len(new.lamps) and added["installed_at"].isna().all(), "not done: no date yet"
    with pytest.raises(ValidationError, match="no lamp with id 'demo-light-0040'"):
        apply_measure(lamps, repair)


def test_lighting_plan_on_the_demo_year(demo_year_db, tmp_path):
    from service.cli import app

    db = demo_year_db(tmp_path)
    result = CliRunner().invoke(app, ["lighting", "plan", str(SHIPPED), "--format", "json", "--as-of", "2021-06-30",
                                      "--db", str(db)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    measures = {m["id"]: m for m in plan["measures"]}
    assert plan["synthetic"] and plan["progress"]["overdue"] == ["gangvag-resecentrum"]
    assert set(measures["gangvag-resecentrum"]["fixes_reached"]) <= set(measures["gangvag-resecentrum"]["fields_fixed"])
    assert measures["gangvag-resecentrum"]["fields_fixed"] and measures["gangvag-resecentrum"]["share_gained"] > 0
    assert measures["gangvag-resecentrum"]["power_change_w"] == 6 * 28.0, "six new 28 W lamps"
    dimming = measures["nattdimring"]
    assert dimming["fields_fixed"] == [] and dimming["power_change_w"] == 0 and dimming["energy_change_kwh_year"] < 0
    whole = plan["whole_programme"]
    assert whole["share_compliant"] > plan["today"]["share_compliant"] and not plan["unknown_fields"]
    assert whole["energy"]["equivalent_full_hours"] == 2950.0
    command = ["lighting", "plan", str(SHIPPED), "--as-of", "2021-06-30", "--db", str(db)]
    table = CliRunner().invoke(app, command)
    assert table.exit_code == 0 and "SYNTHETIC EXAMPLE" in table.output and "Overdue: gangvag-resecentrum" in table.output
    swedish = CliRunner().invoke(app, command, env=SWEDISH_LOCALE)
    assert "SYNTETISKT EXEMPEL" in swedish.output and "Försenade: gangvag-resecentrum" in swedish.output
