

def test_a_survey_given_is_shown_per_area_and_question(make_settings, zones):
    from service.outcomes import outcome_report

    settings = make_settings()
    store = SQLiteStore(settings.store.db)
    write_layers(store, zones)
    survey = pd.DataFrame({"year": [2020, 2021, 2021], "area": ["nissan", "nissan", "centrum"],
                           "question": ["otrygg-kvall"] * 3, "question_text": ["Känner dig otrygg på kvällen"] * 3,
                           "share": [0.42, 0.30, 0.33], "answers": [400, 380, 1200], "low": [0.37, 0.25, 0.30],
                           "high": [0.47, 0.35, 0.36]})
    report = outcome_report(store, zones, 2021, min_count=3, survey=survey)
    assert report["indicators"]["survey"] == "Trygghetsmätning"
    row = _zone(report, "nissan")["survey"][0]
    assert (row["name"], row["value"], row["previous"], row["answers"]) == ("Känner dig otrygg på kvällen", 0.3, 0.42, 380)
    assert row["change"] == pytest.approx(-0.12) and row["beyond_noise"] is True and row["suppressed"] is False
    assert _zone(report, "centrum")["survey"][0]["previous"] is None  # an area that is not a zone, after the zones
    assert [z["zone_id"] for z in report["zones"]][-1] == "centrum"
    assert "survey" not in _zone(report, "slottet")
    TypeAdapter(Outcomes).validate_python(report)
    assert "survey" not in outcome_report(store, zones, 2021, min_count=3)["indicators"]
