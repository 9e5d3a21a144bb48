"""Energy ledger against hand calculations (PHYSICS.md §6)."""

from __future__ import annotations

import json
import math

import pytest

from soen.energy import CoolingChain, CoolingStage, energy_ledger, wall_plug_power_W
from soen.hardware import Hardware
from soen.units import PHI0_WB, photon_energy_J

SMALL = dict(n_spikes=10, n_synapse_events=300, n_fluxons=5000, duration_ns=1000.0, n_neurons=4,
             n_synapses=40)


def test_small_case_equals_hand_calculation():
    hw = Hardware(transmitter_energy_fJ=2.0, static_bias_power_nW_per_neuron=5.0)
    led = energy_ledger(**SMALL, hardware=hw, heat_leak_W=1e-9)
    light = 10 * 1e4 * photon_energy_J(1.22) / 1e-3
    tx = 10 * 2e-15
    spd = 300 * 20e-18
    flux = 5000 * 180.24e-6 * PHI0_WB
    static = 4 * 5e-9 * 1e-6
    leak = 1e-9 * 1e-6
    c = led.energy_by_component_J
    assert c["light"] == pytest.approx(light) and c["transmitter"] == pytest.approx(tx)
    assert c["spd"] == pytest.approx(spd) and c["fluxon"] == pytest.approx(flux)
    assert c["static"] == pytest.approx(static) and c["heat_leak"] == pytest.approx(leak)
    total = light + tx + spd + flux + static + leak
    assert led.total_energy_J == pytest.approx(total)
    assert led.energy_per_spike_J == pytest.approx((light + tx) / 10)
    assert led.energy_per_synapse_event_J == pytest.approx((spd + flux) / 300)
    assert led.total_energy_per_synapse_event_J == pytest.approx(total / 300)
    p4 = total / 1e-6
    assert led.power_4K_W == pytest.approx(p4)
    assert led.power_wall_W == pytest.approx(p4 * (300 - 4.2) / (4.2 * 0.3))
    assert led.cooling_W_per_W == pytest.approx(234.76, rel=1e-4)
    assert led.events_per_s_per_W_4K == pytest.approx(300 / 1e-6 / p4)
    assert led.events_per_s_per_W_wall == pytest.approx(300 / 1e-6 / led.power_wall_W)
    area = 4 * 1e8 / 8100 * 1e-8
    assert led.area_cm2 == pytest.approx(area)
    assert led.power_density_W_per_cm2 == pytest.approx(p4 / area)


def test_totals_scale_linearly_with_spikes():
    a = energy_ledger(**SMALL)
    kw = dict(SMALL)
    for k in ("n_spikes", "n_synapse_events", "n_fluxons"):
        kw[k] = 3 * kw[k]
    b = energy_ledger(**kw)
    assert b.total_energy_J == pytest.approx(3 * a.total_energy_J)
    assert b.energy_per_spike_J == pytest.approx(a.energy_per_spike_J)
    only_spikes = energy_ledger(**{**SMALL, "n_spikes": 20})
    assert only_spikes.energy_by_component_J["light"] == pytest.approx(2 * a.energy_by_component_J["light"])


def test_explicit_photons_area_static():
    led = energy_ledger(**SMALL, n_photons_emitted=1234.0, static_power_W=1e-6, area_um2=1e6)
    assert led.energy_by_component_J["light"] == pytest.approx(1234 * photon_energy_J(1.22) / 1e-3)
    assert led.energy_by_component_J["static"] == pytest.approx(1e-12)
    assert led.area_cm2 == pytest.approx(0.01)


def test_cooling_chain_multi_stage():
    chain = CoolingChain((CoolingStage(4.2, 0.3), CoolingStage(40.0, 0.2, extra_load_W=0.5)), ambient_K=300.0)
    p = wall_plug_power_W(0.01, chain)
    assert p == pytest.approx(0.01 * (300 - 4.2) / (4.2 * 0.3) + 0.5 * (300 - 40) / (40 * 0.2))
    assert chain.wall_power_W(0.0) == pytest.approx(0.5 * 260 / 8)
    # Carnot (ε = 1) at 4.2 K ≈ 70 W/W (PHYSICS.md §6)
    assert CoolingStage(4.2, 1.0).specific_power() == pytest.approx(70.4, rel=1e-3)


def test_zero_activity():
    led = energy_ledger(n_spikes=0, n_synapse_events=0, n_fluxons=0, duration_ns=10.0, n_neurons=1,
                        n_synapses=0)
    assert led.total_energy_J == 0.0 and math.isnan(led.energy_per_spike_J)
    assert led.events_per_s_per_W_4K == math.inf


def test_to_dict_and_str():
    led = energy_ledger(**SMALL)
    d = led.to_dict()
    json.dumps(d)
    assert d["energy_by_component_J"]["light"] == led.energy_by_component_J["light"]
    text = str(led)
    assert "energy per spike" in text and "wall-plug" in text and "W/W" in text


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(n_spikes=-1), ValueError,
         r"n_spikes = -1 is not allowed; expected a finite value in \[0, inf\]"),
        (dict(duration_ns=0.0), ValueError, "duration_ns"),
        (dict(n_fluxons="many"), TypeError, "n_fluxons"),
        (dict(n_neurons=2.5), TypeError, "n_neurons"),
        (dict(hardware="default"), TypeError, "hardware"),
        (dict(cooling=0.3), TypeError, "cooling"),
        (dict(heat_leak_W=math.nan), ValueError, "heat_leak_W"),
    ],
)
def test_bad_input(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        energy_ledger(**{**SMALL, **kwargs})


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: CoolingStage(0.0, 0.3), "temperature_K"),
        (lambda: CoolingStage(4.2, 1.5), "carnot_fraction"),
        (lambda: CoolingChain((CoolingStage(350.0, 0.3),)), "below ambient_K"),
        (lambda: CoolingChain((CoolingStage(4.2, 0.3),), chip_stage=3), "chip_stage"),
    ],
)
def test_bad_cooling(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_plot_energy_breakdown():
    from matplotlib.figure import Figure

    from soen.plot.energy import plot_energy_breakdown

    assert isinstance(plot_energy_breakdown(energy_ledger(**SMALL)), Figure)
    with pytest.raises(TypeError, match="ledger"):
        plot_energy_breakdown({"light": 1.0})
