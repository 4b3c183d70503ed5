"""EN 13201-5 energy performance indicators of the lighting, per zone.

Power density indicator D_P = P / Σ(Ē_i · A_i) in W/(lx·m²): the power P of the lamps that light
an area over the sum of its sub-areas A_i (the calculation fields, m²) times their maintained
average illuminance Ē_i (lux). Annual energy consumption indicator D_E = Σ_j (P_j · t_j) / A in
kWh/(m²·year): the energy of a year of operation over the area, the operating profile giving the
hours t_j at each share of full power (a dimming profile). A lamp's power is its ``watts``; when
not recorded it is estimated from its flux at :data:`ESTIMATED_EFFICACY_LM_PER_W` and counted as
estimated. A lamp lights the zone of the field nearest to it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import to_metric

ESTIMATED_EFFICACY_LM_PER_W = 100.0
"""Lamp flux per watt assumed for a lamp whose power is not recorded (a mid-range LED luminaire)."""
OperatingProfile = tuple[tuple[float, float], ...]
"""(hours a year, share of full power) pairs: 4,100 h at full power is ((4100, 1.0),)."""
DEFAULT_PROFILE: OperatingProfile = ((4100.0, 1.0),)
"""All night at full power: about 4,100 hours of darkness a year in Halmstad."""


def equivalent_full_hours(profile: OperatingProfile) -> float:
    """The hours at full power that use the profile's energy: Σ hours × share."""
    return float(sum(hours * share for hours, share in profile))


def energy_indicators(fields: gpd.GeoDataFrame, lights: gpd.GeoDataFrame, profile: OperatingProfile,
                      zone_ids: list[str]) -> pd.DataFrame:
    """Per zone of ``zone_ids`` (index ``zone_id``): the ``working`` lamps of ``lights`` (WGS84)
    lighting it (``lamps``, ``lamps_estimated_w``: those whose power is estimated), their power
    ``power_w``, ``dp_w_per_lx_m2`` (D_P) and ``de_kwh_per_m2_year`` (D_E) over its fields (EPSG:3006,
    :func:`geo.fields.field_figures`; NaN without fields or light)."""
    working = lights[lights["status"] == "working"]
    frame = pd.DataFrame(index=pd.Index(zone_ids, name="zone_id"))
    if fields.empty or working.empty:
        return frame.assign(lamps=0, lamps_estimated_w=0, power_w=0.0, dp_w_per_lx_m2=np.nan, de_kwh_per_m2_year=np.nan)
    recorded = working["watts"].to_numpy(float) if "watts" in working else np.full(len(working), np.nan)
    estimated = np.isnan(recorded)
    watts = np.where(estimated, working["lumen"].to_numpy(float) / ESTIMATED_EFFICACY_LM_PER_W, recorded)
    _, nearest = shapely.STRtree(fields.geometry.to_numpy()).query_nearest(to_metric(working).geometry.to_numpy(),
                                                                           all_matches=False)
    zone = fields["zone_id"].to_numpy(dtype=object)[nearest]
    lamps = pd.DataFrame({"zone_id": zone, "w": watts, "estimated": estimated}).groupby("zone_id")
    lit = pd.DataFrame({"area": fields["walkable_m2"], "lux_area": fields["walkable_m2"] * fields["average_lx"],
                        "zone_id": fields["zone_id"]}).groupby("zone_id").sum()
    frame["lamps"] = lamps.size().reindex(zone_ids, fill_value=0)
    frame["lamps_estimated_w"] = lamps["estimated"].sum().reindex(zone_ids, fill_value=0).astype(int)
    frame["power_w"] = lamps["w"].sum().reindex(zone_ids, fill_value=0.0)
    lux_area, area = lit["lux_area"].reindex(zone_ids), lit["area"].reindex(zone_ids)
    frame["dp_w_per_lx_m2"] = (frame["power_w"] / lux_area).where(lux_area > 0)
    frame["de_kwh_per_m2_year"] = (frame["power_w"] * equivalent_full_hours(profile) / 1000 / area).where(area > 0)
    return frame
