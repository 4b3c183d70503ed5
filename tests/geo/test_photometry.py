"""Photometric files: EULUMDAT and IES LM-63 read into full C-γ tables, and luminaire angles."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import ValidationError
from geo.photometry import luminaire_angles, read_eulumdat, read_ies, read_photometry
from tests.geo.photometry_files import eulumdat_text, ies_text, lambertian, one_sided


def sideways(c, gamma):
    """Lambertian · (1 + 0.5 sin C): symmetric about the C90–C270 plane."""
    return lambertian(c, gamma) * (1 + 0.5 * np.sin(np.radians(c)))


def crosswise(c, gamma):
    """Lambertian · (1 + 0.5 cos 2C): symmetric about both the C0–C180 and the C90–C270 planes."""
    return lambertian(c, gamma) * (1 + 0.5 * np.cos(np.radians(2 * c)))


def skewed(c, gamma):
    """No symmetry: Lambertian · (1 + 0.5 cos C + 0.3 sin C)."""
    return lambertian(c, gamma) * (1 + 0.5 * np.cos(np.radians(c)) + 0.3 * np.sin(np.radians(c)))


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="latin-1")
    return path


RANDOM = np.random.default_rng(7)
C_AT = RANDOM.uniform(-400, 400, 500)
GAMMA_AT = RANDOM.uniform(0, 180, 500)


@pytest.mark.parametrize("distribution", [lambertian, one_sided, skewed])
def test_an_eulumdat_round_trip_keeps_the_nodes_and_interpolates_between_them(tmp_path, distribution):
    table = read_eulumdat(write(tmp_path, "lamp.ldt", eulumdat_text(distribution)))
    assert table.name == "lamp"
    assert table.c_deg.tolist() == list(np.arange(0, 360, 15.0))
    assert table.gamma_deg.tolist() == list(np.arange(0, 181, 5.0))
    nodes = distribution(table.c_deg[:, None], table.gamma_deg[None, :])
    assert table.cd_per_klm == pytest.approx(nodes, abs=1e-6)
    assert table.intensity(table.c_deg[:, None], table.gamma_deg[None, :]) == pytest.approx(nodes, abs=1e-6)
    assert table.intensity(C_AT, GAMMA_AT) == pytest.approx(distribution(C_AT, GAMMA_AT), abs=0.01 * nodes.max())


@pytest.mark.parametrize("distribution", [lambertian, one_sided, skewed])
def test_an_ies_round_trip_gives_cd_per_1000_lamp_lumens(tmp_path, distribution):
    text = ies_text(lambda c, g: 2.0 * distribution(c, g), np.arange(0, 361, 15.0), lamps=2,
                    lumens_per_lamp=1000.0, multiplier=2.5)
    table = read_ies(write(tmp_path, "lamp.ies", text))
    assert table.c_deg.tolist() == list(np.arange(0, 360, 15.0))  # the 360 plane is C0
    nodes = distribution(table.c_deg[:, None], table.gamma_deg[None, :])
    assert table.cd_per_klm == pytest.approx(nodes, abs=1e-5)
    assert table.intensity(C_AT, GAMMA_AT) == pytest.approx(distribution(C_AT, GAMMA_AT), abs=0.01 * nodes.max())
    assert (table.lumens, table.watts) == (2000.0, 12.0)


@pytest.mark.parametrize(("symmetry", "distribution"),
                         [(1, lambertian), (2, one_sided), (3, sideways), (4, crosswise)])
def test_each_eulumdat_symmetry_gives_the_full_table(tmp_path, symmetry, distribution):
    full = read_eulumdat(write(tmp_path, "full.ldt", eulumdat_text(distribution, symmetry=0)))
    folded = read_eulumdat(write(tmp_path, "folded.ldt", eulumdat_text(distribution, symmetry=symmetry)))
    assert folded.intensity(C_AT, GAMMA_AT) == pytest.approx(full.intensity(C_AT, GAMMA_AT), abs=1e-6)
    if symmetry != 1:
        assert folded.c_deg.tolist() == full.c_deg.tolist()
        assert folded.cd_per_klm == pytest.approx(full.cd_per_klm, abs=1e-6)


@pytest.mark.parametrize(("horizontals", "distribution"),
                         [([0], lambertian), (np.arange(0, 91, 15), crosswise), (np.arange(0, 181, 15), one_sided),
                          (np.arange(90, 271, 15), sideways), (np.arange(0, 361, 15), skewed)])
def test_each_ies_symmetry_matches_the_eulumdat_file_of_the_distribution(tmp_path, horizontals, distribution):
    ies = read_ies(write(tmp_path, "lamp.ies", ies_text(distribution, horizontals)))
    ldt = read_eulumdat(write(tmp_path, "lamp.ldt", eulumdat_text(distribution)))
    assert ies.intensity(C_AT, GAMMA_AT) == pytest.approx(ldt.intensity(C_AT, GAMMA_AT), abs=1e-5)


def test_lamp_flux_and_wattage_come_from_the_file(tmp_path):
    table = read_photometry(write(tmp_path, "lamp.LDT", eulumdat_text(lambertian, symmetry=1, lumens=5200, watts=41)))
    assert (table.lumens, table.watts) == (5200.0, 41.0)
    unknown = read_photometry(write(tmp_path, "bare.ldt", eulumdat_text(lambertian, symmetry=1, watts=0)))
    assert unknown.watts is None
    ies = read_photometry(write(tmp_path, "lamp.IES", ies_text(lambertian, [0], lamps=3, lumens_per_lamp=800,
                                                                  watts=-1)))
    assert (ies.lumens, ies.watts) == (2400.0, None)


def test_absolute_ies_photometry_is_relative_to_the_integrated_luminaire_flux(tmp_path):
    text = ies_text(lambda c, g: 3.0 * one_sided(c, g), np.arange(0, 361, 10), verticals=np.arange(0, 91, 2.5),
                    lumens_per_lamp=-1)
    table = read_ies(write(tmp_path, "absolute.ies", text))
    assert table.lumens == pytest.approx(3000.0, rel=1e-3)  # ∫ I dΩ of 3000/π · cos γ · (1 + 0.5 cos C)
    assert table.intensity(0.0, 0.0) == pytest.approx(1000 / np.pi * 1.5, rel=1e-3)


def test_an_upward_only_ies_file_gives_no_light_downwards(tmp_path):
    text = ies_text(lambda c, g: 100.0 + 0 * c * g, [0], verticals=np.arange(90, 181, 10.0))
    table = read_ies(write(tmp_path, "uplight.ies", text))
    assert table.intensity(0.0, [0.0, 45.0, 89.9, 90.0, 135.0, 180.0]).tolist() == [0, 0, 0, 100, 100, 100]


def test_intensity_wraps_c_interpolates_across_c0_and_is_dark_beyond_the_table(tmp_path):
    def ramp(c, gamma):
        return 10.0 * c + 0 * gamma  # 0 at C0 up to 3450 at C345

    table = read_eulumdat(write(tmp_path, "ramp.ldt", eulumdat_text(ramp, gammas=np.arange(0, 91, 5.0))))
    assert table.intensity([-10.0, 350.0, 370.0, 10.0], 20.0).tolist() == pytest.approx(
        [2300.0, 2300.0, 100.0, 100.0])  # C350 is a third of the way from C345 (3450) to C360 = C0 (0)
    assert table.intensity(0.0, [90.0, 90.5, 180.0]).tolist() == [0.0, 0.0, 0.0]
    assert table.intensity(30.0, [90.0, 90.5]).tolist() == [300.0, 0.0]
    assert table.intensity(np.zeros((3, 1)), np.zeros(4)).shape == (3, 4)


def test_closed_cases_of_luminaire_angles():
    c, gamma = luminaire_angles([0, 0, 5, 5, -5, 0, 0], [0, 0, 0, 0, 0, 5, -5], [-4, 4, -5, -5, -5, -5, -5],
                                [0, 0, 90, 0, 0, 0, 0])
    assert gamma == pytest.approx([0, 180, 45, 45, 45, 45, 45])
    assert c[2:] == pytest.approx([0, 270, 90, 0, 180])  # east of a lamp facing east is C0; C90 is to the left
    c, gamma = luminaire_angles(0.0, 0.0, -1.0, 0.0, 90.0)
    assert (float(c), float(gamma)) == pytest.approx((180.0, 90.0))  # C0 side raised 90°: nadir is the C180 horizon
    h = 6.0
    c, gamma = luminaire_angles(0.0, [h * np.tan(np.radians(30)), -h * np.tan(np.radians(30))], -h, 0.0, 30.0)
    assert gamma == pytest.approx([0.0, 60.0], abs=1e-9)  # the beam swings 30° towards C0 (north)
    assert float(c[1]) == pytest.approx(180.0)


def test_luminaire_angles_with_no_turn_follow_the_lighting_model():
    dx, dy = np.meshgrid(np.linspace(-20, 20, 9), np.linspace(-20, 20, 7))
    c, gamma = luminaire_angles(dx, dy, -5.0)
    assert c == pytest.approx(np.degrees(np.arctan2(-dx, dy)) % 360)
    assert gamma == pytest.approx(np.degrees(np.arccos(5.0 / np.sqrt(25.0 + dx * dx + dy * dy))))


OFFSET = st.floats(-100, 100, allow_nan=False)
ANGLE = st.floats(-720, 720, allow_nan=False)


def direction(c, gamma):
    """Unit vector of (C, γ) in the luminaire frame: C0, C90, up."""
    c, gamma = np.radians(c), np.radians(gamma)
    return np.stack([np.sin(gamma) * np.cos(c), np.sin(gamma) * np.sin(c), -np.cos(gamma)])


@given(OFFSET, OFFSET, OFFSET, ANGLE, st.floats(-180, 180, allow_nan=False))
def test_luminaire_angles_are_in_range(dx, dy, dz, azimuth, tilt):
    c, gamma = luminaire_angles(dx, dy, dz, azimuth, tilt)
    assert 0 <= c < 360 and 0 <= gamma <= 180


@given(OFFSET, OFFSET, OFFSET, ANGLE, st.floats(-90, 90, allow_nan=False), ANGLE)
def test_turning_the_point_and_the_luminaire_together_keeps_its_angles(dx, dy, dz, azimuth, tilt, turn):
    if np.hypot(np.hypot(dx, dy), dz) < 1e-3:
        return
    t = np.radians(turn)  # clockwise seen from above, as compass bearings run
    turned = (dx * np.cos(t) + dy * np.sin(t), dy * np.cos(t) - dx * np.sin(t), dz)
    before = direction(*luminaire_angles(dx, dy, dz, azimuth, tilt))
    after = direction(*luminaire_angles(*turned, azimuth + turn, tilt))
    assert after == pytest.approx(before, abs=1e-9)


def test_luminaire_angles_take_an_azimuth_and_tilt_per_point():
    c, gamma = luminaire_angles(np.ones(4), np.zeros(4), -np.ones(4), [90, 0, 180, 270], [0, 0, 0, 45])
    assert c == pytest.approx([0, 270, 90, 180])  # a point east of lamps whose C0 faces east, north, south, west
    assert gamma == pytest.approx([45, 45, 45, 90])  # the last raised 45° on its west side: the beam swings west


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_broken_eulumdat_files_name_the_line(tmp_path):
    text = eulumdat_text(one_sided, symmetry=2)
    lines = text.splitlines()
    with pytest.raises(ValidationError, match=rf"cut.ldt, line {len(lines) - 1}: the file ends before an intensity"):
        read_eulumdat(write(tmp_path, "cut.ldt", "\n".join(lines[:-2])))
    lines[-5] = "12,5x"
    with pytest.raises(ValidationError, match=rf"word.ldt, line {len(lines) - 4}: expected an intensity .*'12,5x'"):
        read_eulumdat(write(tmp_path, "word.ldt", "\n".join(lines)))
    with pytest.raises(ValidationError, match=r"sym.ldt, line 3: unknown symmetry indicator 5"):
        read_eulumdat(write(tmp_path, "sym.ldt", text.replace("\n2\n24\n", "\n5\n24\n", 1)))
    with pytest.raises(ValidationError, match=r"odd.ldt, line 4: 23 C-planes .* symmetry 2"):
        read_eulumdat(write(tmp_path, "odd.ldt", text.replace("\n2\n24\n", "\n2\n23\n", 1)))
    with pytest.raises(ValidationError, match="missing.ldt: file not found"):
        read_eulumdat(tmp_path / "missing.ldt")


def test_a_decimal_comma_is_read(tmp_path):
    text = eulumdat_text(lambertian, symmetry=1).replace("318.309886", "318,309886")
    assert read_eulumdat(write(tmp_path, "comma.ldt", text)).intensity(0, 0) == pytest.approx(1000 / np.pi)


def test_broken_ies_files_name_the_line(tmp_path):
    text = ies_text(one_sided, np.arange(0, 181, 15))
    lines = text.splitlines()
    with pytest.raises(ValidationError, match=rf"cut.ies, line {len(lines)}: the file ends before a candela value"):
        read_ies(write(tmp_path, "cut.ies", "\n".join(lines[:-1])))
    lines[-1] = re.sub(r"^[^\s,]+", "many", lines[-1])
    with pytest.raises(ValidationError, match=rf"word.ies, line {len(lines)}: expected a candela value .*'many'"):
        read_ies(write(tmp_path, "word.ies", "\n".join(lines)))
    with pytest.raises(ValidationError, match=r"tilt.ies, line 5: 'TILT=INCLUDE' is not supported"):
        read_ies(write(tmp_path, "tilt.ies", text.replace("TILT=NONE", "TILT=INCLUDE")))
    with pytest.raises(ValidationError, match=r"tilted.ies, line 5: 'TILT=lamp.tlt' is not supported"):
        read_ies(write(tmp_path, "tilted.ies", text.replace("TILT=NONE", "TILT=lamp.tlt")))
    with pytest.raises(ValidationError, match=r"none.ies, line 2: no TILT= line"):
        read_ies(write(tmp_path, "none.ies", "IESNA:LM-63-2002\n"))
    with pytest.raises(ValidationError, match=r"scale.ies, line 6: candela multiplier -1: expected a positive"):
        read_ies(write(tmp_path, "scale.ies", text.replace("1  1000  1  37", "1  1000  -1  37", 1)))
    with pytest.raises(ValidationError, match=r"odd.ies, line \d+: horizontal angles from 0 to 45"):
        read_ies(write(tmp_path, "odd.ies", ies_text(one_sided, np.arange(0, 46, 15))))


@pytest.mark.parametrize(("kind", "letter"), [(2, "B"), (3, "A")])
def test_ies_photometry_of_type_a_or_b_is_refused(tmp_path, kind, letter):
    text = ies_text(lambertian, [0], kind=kind, per_line=5)
    with pytest.raises(ValidationError, match=rf"lamp.ies, line 7: photometric type {letter} is not supported"):
        read_ies(write(tmp_path, "lamp.ies", text))


def test_only_ldt_and_ies_files_are_read(tmp_path):
    with pytest.raises(ValidationError, match=r"lamp.txt: not a photometric file"):
        read_photometry(write(tmp_path, "lamp.txt", eulumdat_text(lambertian)))


def test_a_folder_gives_one_table_per_luminaire_type_and_names_what_is_wrong(tmp_path):
    from geo.photometry import read_photometry_folder

    write(tmp_path, "Gata LED.ldt", eulumdat_text(lambertian))
    write(tmp_path, "Torg.IES", ies_text(lambertian, [0.0]))
    write(tmp_path, "notes.txt", "not photometry")
    assert sorted(read_photometry_folder(tmp_path)) == ["Gata LED", "Torg"]
    with pytest.raises(ValidationError, match="not a folder") as missing:
        read_photometry_folder(tmp_path / "saknas")
    assert "saknas" in str(missing.value)
    write(tmp_path, "Torg.ldt", eulumdat_text(lambertian))
    with pytest.raises(ValidationError, match="two files for the luminaire type 'Torg'"):
        read_photometry_folder(tmp_path)
