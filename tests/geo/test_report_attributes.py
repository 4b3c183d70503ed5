"""The reports' questions (Open311 attributes): a submission's answers are checked against its
category's questions, and a stored or imported report's ``attributes`` field against the same
table, by the same rules for a few records and for a whole file."""

from __future__ import annotations

import pandas as pd
import pytest

import geo.layers as layers
from geo.errors import ValidationError
from geo.layers import FAULT_CATEGORIES, REPORTS, validate, validate_record
from geo.report_attributes import (REPORT_ATTRIBUTES, attribute_problem, attributes_text, checked_attributes,
                                   stored_answers)


def test_only_fault_categories_have_questions_and_every_question_its_values():
    assert set(REPORT_ATTRIBUTES) <= set(FAULT_CATEGORIES)
    for questions in REPORT_ATTRIBUTES.values():
        codes = [q.code for q in questions]
        assert len(set(codes)) == len(codes) and all(q.values and q.description for q in questions)


def test_answers_are_kept_in_the_definitions_order_and_read_back():
    answers = checked_attributes("graffiti", {"surface": [" bro "]})
    assert answers == {"surface": "bro"} and stored_answers(attributes_text(answers)) == answers
    assert attributes_text({}) is None and stored_answers(None) == {}
    assert checked_attributes("graffiti", {}) == {}, "an optional question may stay unanswered"
    assert checked_attributes("weeds", {}) == {}


@pytest.mark.parametrize("category, given, message", [
    ("graffiti", {"colour": ["röd"]}, "service 'graffiti' has no attribute 'colour' (its attributes: surface)"),
    ("litter", {"surface": ["bro"]}, "service 'litter' has no attribute 'surface' (its attributes: none)"),
    ("graffiti", {"surface": ["Bro"]}, "'Bro' is not a value of attribute 'surface'"),
    ("graffiti", {"surface": ["bro", "fasad"]}, "attribute 'surface' takes one value, got 2"),
    ("broken_light", {}, "attribute 'fault' is required for service 'broken_light'"),
    ("broken_light", {"fault": [""]}, "attribute 'fault' is required"),
])
def test_a_submission_the_questions_refuse_names_the_attribute(category, given, message):
    with pytest.raises(ValidationError, match="field 'attribute\\[") as refused:
        checked_attributes(category, given)
    assert message in str(refused.value)


@pytest.mark.parametrize("category, text, problem", [
    ("graffiti", '{"surface":"bro"}', None),
    ("graffiti", "{}", None),
    ("broken_light", "{}", None),  # a report from before the question: required is for submissions
    ("graffiti", "bro", "not a JSON object: 'bro'"),
    ("graffiti", '["bro"]', "not a JSON object of codes and text values: '[\"bro\"]'"),
    ("graffiti", '{"surface":1}', "not a JSON object of codes and text values: '{\"surface\":1}'"),
    ("graffiti", '{"fault":"släckt"}', "category 'graffiti' has no attribute 'fault'"),
    ("graffiti", '{"surface":"tak"}', "'tak' is not a value of attribute 'surface'"),
])
def test_a_stored_reports_attributes_are_checked_against_its_category(category, text, problem):
    assert attribute_problem(category, text) == problem


def test_a_file_with_attributes_its_category_lacks_is_refused_at_the_row_by_both_paths(monkeypatch):
    raw = pd.DataFrame({"id": ["a", "b", "c"], "category": ["graffiti", "broken_light", "litter"],
                        "created_at": "2020-05-01T10:00:00Z", "lon": 12.8572, "lat": 56.674,
                        "attributes": ['{"surface":"bro"}', '{"fault":"blinkar"}', '{"surface":"bro"}']})
    message = "f.csv, row 3, field 'attributes': category 'litter' has no attribute 'surface'"
    with pytest.raises(ValidationError) as few:
        validate(REPORTS, raw, "f.csv")
    monkeypatch.setattr(layers, "FEW_RECORDS", 0)
    with pytest.raises(ValidationError) as whole:
        validate(REPORTS, raw, "f.csv")
    assert str(few.value) == str(whole.value) == message
    good = validate(REPORTS, raw.iloc[:2], "f.csv")
    assert good["attributes"].tolist() == ['{"surface":"bro"}', '{"fault":"blinkar"}']
    with pytest.raises(ValidationError, match="field 'attributes'"):
        validate_record(REPORTS, raw.iloc[2].to_dict(), "form")
