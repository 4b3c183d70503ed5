"""OUTCOMES HOOK (issue #18): the safety outcomes shown beside the promises' outputs, in the
comparison of years and the yearly report's summary."""

from __future__ import annotations

from geo.swedish import sv_number, sv_signed


def outcomes_by_year(reports: dict[int, dict]) -> dict:
    """OUTCOMES HOOK (issue #18): the outcomes beside the outputs. Until the outcome indicators land
    (``outcome_summary(store, zones, years)`` in service/, another part of #18; call it here
    instead), these are the incidents per year and zone the tracker already counts (the supporting
    figure of the promises that ask for hot spots): placed in a zone, town- and county-level
    positions apart."""
    years = []
    for year, report in sorted(reports.items()):
        figures = next((p["supporting"]["incident_hotspots"] for p in report["promises"]
                        if "incident_hotspots" in p["supporting"]), None)
        years.append({"year": year, "incidents": None if figures is None else figures["incidents"],
                      "per_zone": None if figures is None else figures["per_zone"]})
    counted = [y for y in years if y["incidents"] is not None]
    summary = [f"{y['year']}: {sv_number(y['incidents'], 0)} brott med känd plats i stadskärnans zoner." for y in counted]
    for before, after in zip(counted, counted[1:]):
        change = after["incidents"] - before["incidents"]
        share = f" ({sv_signed(100 * change / before['incidents'], 1)} %)" if before["incidents"] else ""
        summary.append(f"Från {before['year']} till {after['year']}: {sv_signed(change, 0)} brott{share}. "
                       "Det visar vad som hänt, inte varför.")
    return {"source": "tracker_incidents", "years": years, "summary": summary}
