"""Photon-budget planner: hand-worked cases, impossible targets, sensitivity, CLI."""

from __future__ import annotations

import json
import math

import pytest

from soen.hardware import Hardware
from soen.photonics import plan_budget
from soen.units import photon_energy_J


def test_hand_worked_case_F1000_mu3_T05():
    r = plan_budget(fan_out=1000, target_mu=3.0, transmission=0.5, led_efficiency=1e-3, wavelength_um=1.22)
    assert r.photons_per_spike == pytest.approx(6000.0)
    assert r.light_energy_per_spike_J == pytest.approx(6000 * photon_energy_J(1.22) / 1e-3)
    assert r.light_energy_per_spike_J == pytest.approx(1e-12, rel=0.03)  # ≈ 1 pJ of light at 4 K
    assert r.energy_per_spike_wall_J == pytest.approx(r.energy_per_spike_4K_J * (300 - 4.2) / (4.2 * 0.3))
    assert r.target_probability == pytest.approx(1 - math.exp(-3))
    assert r.feasible


def test_geometry_path_efficiency_and_sensitivity():
    hw = Hardware(detector_efficiency=0.9, split_excess_loss_db=0.1)
    r = plan_budget(hw, fan_out=700, target_probability=0.99, length_um=5000.0, n_crossings=50, n_planes=2)
    db = 0.5 * 0.5 + 50 * 0.02 + 2 * 0.006 + 10 * 0.1 - 10 * math.log10(0.9)
    assert r.path_loss_db == pytest.approx(db)
    N = -math.log(0.01) * 700 / 10 ** (-db / 10)
    assert r.photons_per_spike == pytest.approx(N)
    assert sum(t.share for t in r.loss_terms) == pytest.approx(1.0)
    terms = {t.name: t for t in r.loss_terms}
    assert terms["crossings"].loss_db == pytest.approx(1.0)
    assert terms["crossings"].extra_photons_per_unit == pytest.approx(N * (10 ** 0.002 - 1))
    assert terms["propagation"].extra_photons_per_unit == pytest.approx(N * (10 ** 0.005 - 1))
    assert r.extra_photons_per_db == pytest.approx(N * (10 ** 0.1 - 1))


def test_power_and_max_rate():
    hw = Hardware(static_bias_power_nW_per_neuron=10.0)
    r = plan_budget(hw, fan_out=100, transmission=0.5, firing_rate_hz=1e5, power_density_limit_W_per_cm2=0.01)
    e = r.energy_per_spike_4K_J + 100 * r.target_probability * 20e-18
    area = hw.area_per_neuron_um2 * 1e-8
    assert r.power_per_neuron_4K_W == pytest.approx(1e5 * e + 10e-9)
    assert r.max_rate_power_hz == pytest.approx((0.01 * area - 10e-9) / e)
    assert r.max_rate_hz == min(r.max_rate_power_hz, 2e7)


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        (dict(target_probability=1.0), "P = 1 is impossible"),
        (dict(target_mu=math.inf), "P = 1 is impossible"),
        (dict(fan_out=10_000, length_um=1e5, loss_db_per_cm=3.5), "beyond the physical limit"),
        (dict(firing_rate_hz=5e7), "above the detector reset limit"),
        (dict(static_bias_power_nW_per_neuron=1e3), "static bias power"),
    ],
)
def test_impossible_targets_flagged(kwargs, phrase):
    kw = dict(fan_out=700)
    kw.update(kwargs)
    r = plan_budget(**kw)
    assert not r.feasible
    assert any(phrase in p for p in r.problems), r.problems
    assert "PROBLEM" in str(r)


def test_power_density_warning_is_not_fatal():
    r = plan_budget(fan_out=700, firing_rate_hz=2e7)
    assert r.feasible and any("exceeds the limit" in w for w in r.warnings)


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(fan_out=0), ValueError, "fan_out must be an integer ≥ 1, got 0"),
        (dict(fan_out=2.5), ValueError, "fan_out"),
        (dict(fan_out=10, target_probability=1.5), ValueError, r"target_probability = 1.5 .*\(0, 1\]"),
        (dict(fan_out=10, target_probability=0.9, target_mu=2.0), ValueError, "not both"),
        (dict(fan_out=10, transmission=0.0), ValueError, "transmission"),
        (dict(fan_out=10, length_um=-5.0), ValueError, "length_um"),
        (dict(fan_out=10, loss_db_per_km=1.0), TypeError, "allowed names"),
        (dict(fan_out=10, detector_efficiency=2.0), ValueError, "detector_efficiency"),
    ],
)
def test_bad_input(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        plan_budget(**kwargs)


def test_cli(capsys):
    from soen.cli import main

    assert main(["budget", "--fan-out", "1000", "--mu", "3", "--transmission", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "6000" in out and "feasible" in out
    assert main(["budget", "--fan-out", "700", "--probability", "1", "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["feasible"] is False and d["photons_per_spike"] == "inf"
    assert main(["budget", "--set", "material=Si", "--length-um", "5000", "--crossings", "20"]) == 0
    assert main(["budget", "--set", "bogus=1"]) == 2
    assert "unknown hardware parameter 'bogus'" in capsys.readouterr().err


def test_docs_worked_example_numbers():
    """docs/photonics.md §7: the 99th-percentile path of the local 100-way fan-out example."""
    r = plan_budget(Hardware(), fan_out=100, target_probability=0.99, length_um=1444.3, n_crossings=439.43,
                    n_planes=1, firing_rate_hz=1e6)
    assert r.path_loss_db == pytest.approx(9.79, abs=0.01)
    assert r.photons_per_spike == pytest.approx(4387, rel=1e-3)
    terms = {t.name: t for t in r.loss_terms}
    assert terms["crossings"].share == pytest.approx(0.898, abs=0.002)
    assert r.max_rate_power_hz == pytest.approx(1.723e5, rel=1e-3)
