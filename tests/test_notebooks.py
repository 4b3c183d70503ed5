"""The analysis notebooks in notebooks/: they run top to bottom on the synthetic demo data, show
their key tables and charts, and are stored without outputs."""

from __future__ import annotations

import asyncio
import copy
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
IMAGE = "image/png"

KEY_OUTPUTS = {
    # notebook -> cell tag -> what its outputs must hold (text, or IMAGE for a drawn chart)
    "01_lagesbild.ipynb": {
        "per-zone-table": ["Stora Torg", "Resecentrum och Halmstad C", "ordningsstörning", "total", "per_ha"],
        "time-chart": [IMAGE],
        "hotspot-table": ["hs-1", "share_of_centre", "area_m2", "z"],  # areas measured in EPSG:3006
        "hotspot-map": [IMAGE],
        "weekly-chart": [IMAGE],
        "weekly-table": ["iso_week", "2020-W53", "change_vs_week_before"],
    },
    "02_patrol_coverage.ipynb": {
        "centre-totals": ["presence_h", "target_h", "900.0", "expected_h_pro_rata", "status"],
        "cumulative-chart": [IMAGE],
        "month-end-table": ["2020-01-31", "2020-12-31", "projected_year_end_h"],
        "zone-table": ["target_share_h", "presence_h", "longest_gap_days", "Slottet och Slottsparken"],
        "zone-chart": [IMAGE],
        "monthly": [IMAGE, "Nissan och kajerna", "total"],
        "night-bands": [IMAGE, "night_17-20_h", "night_23-02_h", "fri_sat_night_h"],
        "dosage-table": ["hs-1", "visits", "median_visit_min", "share_visits_10_15_min", "busy_windows_with_visit_share"],
        "visits-chart": [IMAGE],
    },
    "03_lighting_programme.ipynb": {
        "lamp-status": ["working", "broken"],
        "lux-map": [IMAGE],
        "walkable": ["walkable_m2", "Stora Torg"],
        "surface-map": [IMAGE],
        "field-rule": ["S_m", "D_m", "W_m", "d_m", "calculation points"],
        "field-figures": ["average_lx", "minimum_lx", "uniformity", "meets_class", "over_lit", "shortfall"],
        "zone-lighting": ["share_compliant", "uniformity", "share_below_class_minimum", "P4", "Norre Katts park"],
        "failing-fields": ["field_id", "shortfall"],
        "fields-map": [IMAGE],
        "zone-chart": [IMAGE],
        "dark-spots": ["dark spots", "dark_spot_m2", "Östra stranden"],
        "dark-spots-map": [IMAGE],
        "after-dark": ["in_dark_spots", "rate_in_dark_spots_per_ha", "rate_elsewhere_per_ha"],
        "proposed": ["proposed-1", "proposed-6", "dark_spot_m2"],
        "what-if-table": ["dark_spot_m2_before", "dark_spot_m2_after", "dark_spot_m2_removed", "average_lx_after",
                          "meets_before"],
        "what-if-summary": [IMAGE, "removed by 6 lamps"],
        "what-if-map": [IMAGE],
    },
}


def kernel_env() -> dict[str, str]:
    """The environment for the kernel: ours without MPLBACKEND, so the kernel's inline backend
    draws the charts into the outputs even where CI sets MPLBACKEND=Agg."""
    return {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}


def execute(nb, cwd: Path):
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    return client.execute(env=kernel_env())


@pytest.fixture(scope="module")
def runs() -> dict:
    """Every notebook run top to bottom in notebooks/ (copies; nothing is written), all at once,
    each in a kernel of its own (the machine's cores share them): the notebook, or the error that
    stopped it."""
    async def run_all() -> list:
        clients = [nbclient.NotebookClient(copy.deepcopy(nbformat.read(NOTEBOOKS / name, as_version=4)), timeout=300,
                                           kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
                   for name in sorted(KEY_OUTPUTS)]
        return await asyncio.gather(*(client.async_execute(env=kernel_env()) for client in clients),
                                    return_exceptions=True)

    with ThreadPoolExecutor(1) as pool:  # a thread of its own: no event loop of another test (Playwright) runs there
        return dict(zip(sorted(KEY_OUTPUTS), pool.submit(asyncio.run, run_all()).result()))


def output_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
            parts.append(output.data.get("text/html", ""))
            if IMAGE in output.data:
                parts.append(IMAGE)
    return "\n".join(parts)


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(KEY_OUTPUTS)


@pytest.mark.parametrize("name", sorted(KEY_OUTPUTS))
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}: cell {cell.id} is stored with outputs; clear them"
            assert cell.execution_count is None, f"{name}: cell {cell.id} is stored with an execution count"
        assert "execution" not in cell.metadata, f"{name}: cell {cell.id} is stored with execution timings"


@pytest.mark.parametrize("name", sorted(KEY_OUTPUTS))
def test_says_it_uses_synthetic_data(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "SYNTHETIC demo data" in first.source


@pytest.mark.parametrize("name", sorted(KEY_OUTPUTS))
def test_runs_and_shows_key_outputs(name, runs):
    nb = runs[name]
    if isinstance(nb, BaseException):
        raise nb
    tagged = {tag: cell for cell in nb.cells for tag in cell.metadata.get("tags", [])}
    for tag, expected in KEY_OUTPUTS[name].items():
        assert tag in tagged, f"{name}: no cell tagged {tag!r}"
        text = output_text(tagged[tag])
        for item in expected:
            assert item in text, f"{name}, cell {tag!r}: {item!r} missing from its output:\n{text[:2000]}"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            assert output.output_type != "error"
            if output.output_type == "stream" and output.name == "stderr":
                assert "Warning" not in output.text, f"{name}, cell {cell.id} warns:\n{output.text}"
        if IMAGE in output_text(cell):  # every chart is labelled as synthetic
            assert "synthetic demo data" in cell.source, f"{name}, cell {cell.id}: chart title lacks 'synthetic demo data'"


def test_kernel_is_this_environment():
    """The 'python3' kernel runs this environment's Python, so `import geo` finds the project."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import sys, geo\nprint(sys.prefix)\nprint(geo.__file__)"))
    out = execute(nb, NOTEBOOKS).cells[0].outputs[0].text.splitlines()
    assert Path(out[0]).resolve() == Path(sys.prefix).resolve()
    assert Path(out[1]).name == "__init__.py"
