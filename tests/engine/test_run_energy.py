"""The energy ledger of a run equals a hand calculation from the run's counts and scales with spikes."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen.circuits import default_table
from soen.units import PHI0_WB, photon_energy_J

TABLE = default_table()


def driven(period_ns):
    net = soen.Network()
    net.add_population("n", 3, soen.point_neuron())
    net.add_source(soen.RegularSource("clk", 3, period_ns=period_ns))
    net.connect("clk", "n", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    net.connect("n", "n", soen.AllToAll(), weight=0.05, delay_ns=1.0)
    return net


def test_ledger_equals_hand_calculation():
    hw = soen.Hardware(photons_per_spike=2000.0, led_efficiency=1e-3, spd_energy_aJ=20.0,
                       transmitter_energy_fJ=5.0, static_bias_power_nW_per_neuron=0.0)
    res = soen.simulate(driven(100.0), 1000.0, table=TABLE, hardware=hw)
    led = res.energy_ledger()
    n_spk = res.spike_ids.size
    # about 3 neurons × 10 clock spikes (the photon timing of the recurrent links can make a neuron miss one;
    # which one depends on the counter-based photon draws)
    assert 27 <= n_spk <= 30
    n_ev = res.counts["events"]
    # 30 clock photons + recurrent events (6 targets per spike, minus those lost in the dead time)
    assert 30 < n_ev <= 30 + 6 * n_spk
    fluxons = res.fluxons.sum()
    hand = (n_spk * 2000 * photon_energy_J(1.22) / 1e-3 + n_spk * 5e-15 + n_ev * 20e-18
            + fluxons * hw.fluxon_bias_uA * 1e-6 * PHI0_WB)
    d = led.to_dict()
    assert d["total_energy_J"] == pytest.approx(hand, rel=1e-12)
    assert fluxons > 0


def test_energy_scales_linearly_with_spikes():
    """A periodic network run for T, 2T, 4T: spikes, SPD events, fluxons and so total energy all double."""
    hw = soen.Hardware(static_bias_power_nW_per_neuron=0.0)
    totals, spikes = [], []
    for duration in (1000.0, 2000.0, 4000.0):
        res = soen.simulate(driven(100.0), duration, table=TABLE, hardware=soen.Hardware(ideal=True))
        totals.append(res.energy_ledger(hw).to_dict()["total_energy_J"])
        spikes.append(res.spike_ids.size)
    assert spikes == [30, 60, 120]
    np.testing.assert_allclose(np.array(totals) / np.array(spikes), totals[0] / spikes[0], rtol=2e-3)
