"""Tests for the hardware registry (soen.hardware)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from soen.hardware import MATERIALS, PARAMETERS, Hardware
from soen.units import photon_energy_J


def test_every_record_has_unit_source_and_default_in_range():
    for name, rec in PARAMETERS.items():
        assert rec.name == name
        assert rec.source and rec.description
        if rec.kind == "float" and rec.value is not None:
            assert rec.check(rec.value) == rec.value


def test_defaults_follow_physics_tables():
    hw = Hardware.default()
    assert hw.material == "SiN"
    assert hw.loss_db_per_cm == MATERIALS["SiN"]["loss_db_per_cm"]
    assert hw.group_index == 2.0
    assert hw.crossing_loss_db == 0.02
    assert hw.interplane_loss_db == 0.006
    assert hw.fibre_ps_per_mm == 4.9
    assert hw.photons_per_spike == 1e4 and hw.led_efficiency == 1e-3 and hw.wavelength_um == 1.22
    assert hw.area_per_neuron_um2 == pytest.approx(1.2346e4, rel=1e-4)
    assert not hw.ideal


def test_derived_energies_equal_hand_calculation():
    hw = Hardware()
    assert hw.photon_energy_J == pytest.approx(1.628e-19, rel=1e-3)
    assert hw.spike_energy_J == pytest.approx(1e4 * photon_energy_J(1.22) / 1e-3)
    assert hw.fluxon_energy_J == pytest.approx(180.24e-6 * 2.067833848e-15)
    assert hw.max_detector_rate_hz == pytest.approx(2e7)


def test_overrides_in_constructor_and_replace():
    hw = Hardware(loss_db_per_cm=1.5, detector_efficiency=0.9)
    assert hw.loss_db_per_cm == 1.5 and hw.detector_efficiency == 0.9
    hw2 = Hardware.default().replace(crossing_loss_db=0.05)
    assert hw2.crossing_loss_db == 0.05 and hw2.loss_db_per_cm == 0.5
    assert hw2 != Hardware() and Hardware() == Hardware()


def test_material_sets_loss_and_group_index_unless_given():
    si = Hardware(material="Si")
    assert (si.loss_db_per_cm, si.group_index) == (3.5, 4.2)
    assert Hardware().replace(material="Si").group_index == 4.2
    explicit = Hardware(loss_db_per_cm=1.0).replace(material="Si")
    assert explicit.loss_db_per_cm == 1.0 and explicit.group_index == 4.2


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Hardware().loss_db_per_cm = 2.0  # type: ignore[misc]


def test_unknown_name_lists_allowed_names():
    pattern = "unknown Hardware parameter.*'loss_db_per_mm'.*allowed names:.*loss_db_per_cm"
    with pytest.raises(TypeError, match=pattern):
        Hardware(loss_db_per_mm=1.0)
    with pytest.raises(TypeError, match="allowed names"):
        Hardware().replace(bogus=1)


@pytest.mark.parametrize(
    "name, value, pattern",
    [
        ("detector_efficiency", 1.2, r"'detector_efficiency' = 1.2 is out of range; allowed \(0, 1\]"),
        ("loss_db_per_cm", -0.1, r"'loss_db_per_cm' = -0.1 dB/cm is out of range; allowed \[0, 100\] dB/cm"),
        ("led_efficiency", 0.0, r"'led_efficiency' = 0.0 is out of range"),
        ("photons_per_spike", math.inf, "photons_per_spike"),
        ("wavelength_um", math.nan, "wavelength_um"),
        ("material", "GaAs", "'material' = 'GaAs' is not allowed; use one of 'SiN', 'Si'"),
    ],
)
def test_out_of_range_names_parameter_value_and_range(name, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        Hardware(**{name: value})


@pytest.mark.parametrize(
    "name, value", [("crossing_loss_db", "0.02"), ("ideal", 1), ("detector_jitter_ps", True)]
)
def test_wrong_type(name, value):
    with pytest.raises(TypeError, match=name):
        Hardware(**{name: value})


def test_cooling_below_ambient():
    with pytest.raises(ValueError, match="cooling_temperature_K"):
        Hardware(cooling_temperature_K=250.0, ambient_temperature_K=200.0)


def test_describe_table_lists_name_value_unit_source():
    text = Hardware(loss_db_per_cm=1.0).describe()
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["name", "value", "unit"]
    assert len(lines) == len(PARAMETERS) + 2
    row = next(ln for ln in lines if ln.startswith("loss_db_per_cm"))
    assert "1*" in row and "dB/cm" in row and "Phys. Rev. Applied" in row
    assert "Hardware(loss_db_per_cm=1.0)" == repr(Hardware(loss_db_per_cm=1.0))


def test_numpy_scalars_accepted():
    np = pytest.importorskip("numpy")
    assert Hardware(loss_db_per_cm=np.float64(0.7)).loss_db_per_cm == 0.7
