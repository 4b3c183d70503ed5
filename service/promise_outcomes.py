"""The safety outcomes beside the promises' outputs, year after year: the whole centre's figures of
each year's tracker (its ``outcomes``, :func:`service.outcomes.outcome_report`: the year against
the one before), for the comparison of years and the yearly report's summary."""

from __future__ import annotations

from geo.swedish import sv_number, sv_signed

OUTCOME_NAMES = {"incidents": "brott med känd plats", "reports": "felanmälningar",
                 "unsafe_places": "markeringar av otrygga platser"}
"""The outcomes the follow-up names, in Swedish (the centre's totals over every category)."""
NOISE = {True: "större än slumpen ensam skulle ge", False: "inom slumpens variation",
         None: "för få för att bedöma mot slumpen"}
"""Whether a change is beyond noise (:data:`service.outcomes.METHOD`), in Swedish."""


def outcomes_by_year(reports: dict[int, dict]) -> dict:
    """Per year of ``reports`` (trackers by year) the centre's incidents, fault reports and
    unsafe-place marks against the year before (the tracker's rows for all categories), the safety
    survey's shares for the whole centre per question against the survey before (``survey``; an
    empty list without a survey), and the follow-up as Swedish sentences."""
    years, summary = [], []
    for year, report in sorted(reports.items()):
        outcomes = report["outcomes"]
        rows = {name: (outcomes["centre"].get(name) or [None])[0] for name in OUTCOME_NAMES}
        survey = outcomes["centre"].get("survey", [])
        years.append({"year": year, **rows, "survey": survey})
        summary += [_sentence(year, outcomes["previous_year"], OUTCOME_NAMES[name], row)
                    for name, row in rows.items() if row is not None and row["value"] is not None]
        summary += [_survey_sentence(year, outcomes["previous_year"], row) for row in survey if row["value"] is not None]
    if summary:
        summary.append("Siffrorna visar vad som hänt, inte varför: en förändring kan ha andra orsaker än löftena.")
    return {"years": years, "summary": summary}


def _survey_sentence(year: int, previous: int, row: dict) -> str:
    """``2021: 38 % av 1 100 svarande i hela stadskärnan: ”Känner dig otrygg …” (−4,0 procentenheter mot 2020; …).``"""
    text = (f"{year}: {sv_number(100 * row['value'], 0)} % av {sv_number(row['answers'], 0)} svarande i "
            f"trygghetsmätningen för hela stadskärnan: ”{row['name']}”")
    if row["previous"] is None or row["change"] is None:
        return f"{text} (ingen mätning {previous} att jämföra med)."
    return f"{text} ({sv_signed(100 * row['change'], 1)} procentenheter mot {previous}; {NOISE[row['beyond_noise']]})."


def _sentence(year: int, previous: int, name: str, row: dict) -> str:
    """``2021: 1 834 brott med känd plats i stadskärnan (−210 mot 2020, −10,3 % per dag; …).``"""
    text = f"{year}: {sv_number(row['value'], 0)} {name} i stadskärnan"
    if row["previous"] is None or row["change"] is None:
        return f"{text} (inga uppgifter {previous} att jämföra med)."
    rate = "" if row["relative_change"] is None else f", {sv_signed(100 * row['relative_change'], 1)} % per dag"
    return f"{text} ({sv_signed(row['change'], 0)} mot {previous}{rate}; {NOISE[row['beyond_noise']]})."
