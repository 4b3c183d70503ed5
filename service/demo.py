"""Storing the synthetic demo data set, labelled as such."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.demo import REMOVAL_ROUNDS, SOURCE, DemoData
from geo.demo_survey import SOURCE as SURVEY_SOURCE
from geo.errors import Message
from geo.layers import CAMERAS, EVENTS, INCIDENTS, LIGHTS, REMOVAL_CATEGORIES, REPORTS
from geo.programme import new_lamps, read_programme
from geo.promises import promise_files, read_promises
from geo.timestamps import LOCAL_TZ
from service.store import Actor, Conflict, Store

DEMO_META_KEY = "demo_data"
DEMO_ACTOR = Actor("demo", "synthetic demo data")
DEMO_PROMISE_STATUSES = {
    2020: (
        ("centrumutvecklingsplan", "03-15", "on track", "SYNTETISKT EXEMPEL: trygghetsvandring gjord, planen på remiss."),
        ("purple-flag", "06-10", "on track", "SYNTETISKT EXEMPEL: ansökan inlämnad, bedömning planerad till hösten."),
        ("purple-flag", "11-20", "met", "SYNTETISKT EXEMPEL: certifieringen förnyad."),
        ("evenemang", "09-01", "on track", "SYNTETISKT EXEMPEL: sommarfesten och lördagsnätterna hölls, julmarknaden "
                                           "planeras."),
        ("kamerabevakning", "05-05", "on track", "SYNTETISKT EXEMPEL: frågan diskuterad i samverkansgruppen."),
    ),
    2021: (
        ("kamerabevakning-ansokan", "04-20", "on track",
         "SYNTETISKT EXEMPEL: ansökan om kamerabevakning vid Stora Torg skrivs, med intresseavvägning."),
        ("kamerabevakning-ansokan", "10-05", "met", "SYNTETISKT EXEMPEL: ansökan inlämnad."),
        ("centrumutvecklingsplan", "06-15", "met", "SYNTETISKT EXEMPEL: utvecklingsplanen antagen."),
        ("purple-flag", "09-30", "on track", "SYNTETISKT EXEMPEL: uppföljning inför omcertifieringen 2022."),
        ("evenemang", "08-20", "met", "SYNTETISKT EXEMPEL: sommarens evenemang genomförda."),
    ),
}
"""Synthetic staff statuses (month-day, status, note) per demo year for its staff-measured promises."""
DEMO_MARK = "synthetic demo data for "
"""How the database's mark of demo data begins: then each year loaded with its seed."""


def store_demo(store: Store, data: DemoData, seed: int, year: int, zone_ids: list[str],
               progress: Callable[[str, float], None] | None = None) -> list[Message]:
    """Write every demo layer (one transaction per layer), the demo's removal rounds (in all of
    ``zone_ids``), and
    record in the database that it holds synthetic data; returns a summary line per layer."""
    lines = []
    for schema, frame in ((INCIDENTS, data.incidents), (LIGHTS, data.lights), (REPORTS, data.reports),
                          (EVENTS, data.events)):
        result = store.write_features(schema, frame, DEMO_ACTOR)
        lines.append(Message("{layer}: {inserted} synthetic records stored, {updated} updated, {unchanged} already there",
                             layer=schema.name, inserted=result.inserted, updated=result.updated,
                             unchanged=result.unchanged))
        if progress:
            progress(f"storing {schema.name}", 0.1 * len(lines))
    result = store.write_pings(data.pings, (lambda d, t: progress("storing patrols", 0.3 + 0.7 * d / t))
                               if progress else None)
    lines.append(Message("patrols: {inserted} synthetic pings stored", inserted=result.inserted))
    logged = store.write_presence_log(data.presence_log)
    hours = (data.presence_log["end"] - data.presence_log["start"]).sum() / pd.Timedelta(hours=1)
    lines.append(Message("presence log: {inserted} synthetic rows stored ({hours} logged unit-hours)",
                         inserted=logged.inserted, hours=round(hours)))
    for kind, surfaces in (("buildings", data.buildings), ("water", data.water)):
        stored = store.replace_surfaces(kind, surfaces, SOURCE)
        lines.append(Message("{kind}: {inserted} synthetic polygons stored (drawn from the streets and zones)",
                             kind=kind, inserted=stored.inserted))
    stored = store.write_features(CAMERAS, data.cameras, DEMO_ACTOR)
    lines.append(Message("cameras: {inserted} synthetic cameras stored, {updated} updated (proposed and installed, "
                         "at the hot spots)", inserted=stored.inserted, updated=stored.updated))
    rounds = 0
    for month, first, last in REMOVAL_ROUNDS:
        for category in REMOVAL_CATEGORIES:
            local_close = data.reports["closed_at"].dt.tz_convert(LOCAL_TZ)
            covered = data.reports[(data.reports["category"] == category) & (local_close.dt.month == month)
                                   & (local_close.dt.day >= first) & (local_close.dt.day <= last)]
            round_id = f"demo-{year}-{category}-{month:02d}"
            try:
                store.record_removal_round(round_id, f"{year}-{month:02d}-{last:02d}", category, zone_ids,
                                           lambda _open, covered=covered: covered, DEMO_ACTOR, pd.Timestamp.now(tz="UTC"))
                rounds += 1
            except Conflict:
                pass  # loaded before: the round is there already
    lines.append(Message("removal rounds: {rounds} synthetic rounds recorded (graffiti and weeds, May and September)",
                         rounds=rounds))
    statuses = DEMO_PROMISE_STATUSES.get(year, ())
    for promise_id, day, status, note in statuses:
        store.add_promise_status(year, promise_id, f"{year}-{day}", status, note, DEMO_ACTOR)
    lines.append(Message("promise statuses: {count} synthetic staff statuses recorded", count=len(statuses)))
    results, places = data.survey
    store.replace_survey(year, results, places, SURVEY_SOURCE)
    lines.append(Message("safety survey {year}: {results} synthetic results and {places} marked places stored "
                         "(source: {source})", year=str(year), results=len(results), places=len(places),
                         source=SURVEY_SOURCE))
    store.set_meta(DEMO_META_KEY, demo_mark(store.get_meta(DEMO_META_KEY), year, seed))
    return lines


def demo_mark(mark: str | None, year: int, seed: int) -> str:
    """The database's mark of demo data with ``year`` (and its ``seed``) added to the years in
    ``mark`` (a year loaded again with another seed replaces it): "synthetic demo data for 2020,
    seed 2020; 2021, seed 2021"."""
    loaded = mark.removeprefix(DEMO_MARK).split("; ") if mark and mark.startswith(DEMO_MARK) else []
    kept = [entry for entry in loaded if not entry.startswith(f"{year},")]
    return DEMO_MARK + "; ".join(sorted([*kept, f"{year}, seed {seed}"]))


def programme_lamps(folder: Path, year: int) -> gpd.GeoDataFrame | None:
    """The lamps put up in ``year`` by the new-lamp measures of the year's synthetic lighting
    programmes (the promises file of ``year`` in ``folder``; a programme marked ``synthetic``), as a
    lights layer (WGS84) installed the day each measure was done and labelled synthetic: the demo's
    lamp register as the municipality keeps it once a measure is done. None when there are none."""
    files = promise_files(folder)
    programmes = ([read_programme(p.measure.programme) for p in read_promises(files[year]).promises
                   if p.measure.kind == "lighting" and p.measure.programme is not None] if year in files else [])
    done = [new_lamps(measure, "demo") for programme in programmes if programme.synthetic
            for measure in programme.measures
            if measure.kind == "new_lamps" and measure.done is not None and measure.done.year == year]
    if not done:
        return None
    return gpd.GeoDataFrame(pd.concat(done, ignore_index=True), crs=done[0].crs).assign(source=SOURCE)
