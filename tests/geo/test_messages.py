"""geo.errors.Message: the English text for every caller that reads text, rendered in another
language by whoever knows it, numbers as the language writes them."""

from __future__ import annotations

import pickle

import numpy as np

from geo.errors import Message, ValidationError, english_number
from geo.swedish import sv_number

SWEDISH = {"the file is {size} MB; at most {most} MB is accepted": "filen är {size} MB; högst {most} MB tas emot",
           "{problem} ({count} more rows have this problem)": "{problem} ({count} rader till har samma problem)",
           "not a number: {value!r}": "inte ett tal: {value!r}", "row {number}": "rad {number}",
           "field '{field}'": "fält '{field}'", "feature {number}": "objekt {number}"}


def swedish(template: str) -> str:
    return SWEDISH.get(template, template)


def test_a_message_is_its_english_text():
    message = Message("the file is {size} MB; at most {most} MB is accepted", size=np.float64(12.25), most=10)
    assert message == "the file is 12.25 MB; at most 10 MB is accepted" and isinstance(message, str)
    assert message.startswith("the file is") and str(ValueError(message)) == message


def test_a_message_renders_in_another_language_with_its_numbers_and_its_nested_messages():
    message = Message("{problem} ({count} more rows have this problem)",
                      problem=Message("not a number: {value!r}", value="tolv"), count=1234)
    assert message.render(swedish, sv_number) == "inte ett tal: 'tolv' (1\u202f234 rader till har samma problem)"
    assert message.render() == "not a number: 'tolv' (1234 more rows have this problem)"


def test_a_validation_error_renders_its_place_and_field_in_the_language():
    error = ValidationError(Message("not a number: {value!r}", value="x"), file="lamps.csv",
                            row=Message("row {number}", number="7"), field="height_m")
    assert str(error) == "lamps.csv, row 7, field 'height_m': not a number: 'x'"
    assert error.render(swedish, sv_number) == "lamps.csv, rad 7, fält 'height_m': inte ett tal: 'x'"


def test_the_readers_labels_of_places_are_translated_as_they_stand():
    error = ValidationError(Message("not a number: {value!r}", value="x"), file="zones.geojson",
                            row="feature 3 (zone_id 'torg')")
    assert str(error) == "zones.geojson, feature 3 (zone_id 'torg'): not a number: 'x'"
    assert error.render(swedish) == "zones.geojson, objekt 3 (zone_id 'torg'): inte ett tal: 'x'"
    assert ValidationError("bad", row="measure 'm1'").render(swedish) == "measure 'm1': bad"


def test_english_numbers_are_written_as_the_messages_always_wrote_them():
    assert [english_number(v) for v in (7, 3.5, 1734.25, 0.004, -0.001, np.int64(20000))] == [
        "7", "3.5", "1734.25", "0", "0", "20000"]


def test_a_placeholder_without_a_parameter_stays_and_a_message_survives_pickling():
    template = Message("at most {max_length} characters")
    assert template == "at most {max_length} characters"
    copy = pickle.loads(pickle.dumps(Message("row {number}", number="3")))
    assert copy == "row 3" and copy.render(swedish) == "rad 3"


def test_substitute_replaces_text_in_the_parameters_only():
    message = Message("not a readable GPX file: {exc}", exc=Message("cannot open {path}", path="/tmp/x1.gpx"))
    assert message.substitute("/tmp/x1.gpx", "walk.gpx") == "not a readable GPX file: cannot open walk.gpx"
