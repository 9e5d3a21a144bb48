"""Fill curve (quasi-static reduction) and the SPD synapse."""

import math

import numpy as np
import pytest

from soen.circuits import (
    SPDCircuit,
    SPDKernel,
    default_table,
    fill_curve,
    spd_current_uA,
    spd_flux,
    squid_rate,
)
from soen.units import PHI0_WB


@pytest.mark.parametrize("phi", [0.05, 0.1, 0.25, 0.4, 0.5])
def test_fill_curve_quasi_static_identity(phi):
    """2π × fluxon rate of the full circuit = g(φ, i_b − s) of the SQUID alone (PHENO reduction)."""
    i_b = 2.0
    fc = fill_curve(phi, i_b)
    assert fc.t_fluxon.size > 20
    # per-fluxon current step Δs = 2π / (β_di + 1/B)
    ds = np.diff(fc.s_fluxon)
    assert np.median(ds) == pytest.approx(2 * math.pi / (2 * math.pi * 1e3 + math.pi / 4), rel=0.02)
    sel = np.nonzero(fc.g > 0.05)[0]
    sel = sel[:: max(1, sel.size // 12)]
    ref = squid_rate(phi, i_b - fc.s_mean[sel])
    assert np.max(np.abs(fc.g[sel] / ref - 1)) < 0.01
    # against the shipped table as well
    tab = default_table()(phi, i_b - fc.s_mean[sel])
    assert np.max(np.abs(fc.g[sel] / tab - 1)) < 0.01
    # the loop saturates at s_max = i_b - i_c(phi)
    assert fc.s_end == pytest.approx(float(default_table().s_max(phi, i_b)), abs=0.01)
    assert np.allclose(fc.fluxons_per_tau, fc.g / (2 * math.pi))
    assert np.all((fc.s_mean >= fc.s_fluxon[:-1] - 1e-12) & (fc.s_mean <= fc.s_fluxon[1:] + 1e-12))


def test_fill_curve_with_leak_stops_filling():
    fc0 = fill_curve(0.3, 2.0, t_max=20000.0)
    fc1 = fill_curve(0.3, 2.0, alpha=0.5, t_max=20000.0)
    assert fc1.s_end < fc0.s_end


def test_fill_curve_bad_input():
    with pytest.raises(ValueError, match="i_b"):
        fill_curve(0.2, -1.0)
    with pytest.raises(ValueError, match="beta_di"):
        fill_curve(0.2, 2.0, beta_di=0.0)
    with pytest.raises(ValueError, match="alpha"):
        fill_curve(0.2, 2.0, alpha=-1.0)
    with pytest.raises(TypeError, match="phi"):
        fill_curve("x", 2.0)


def test_spd_kernel_defaults_and_shape():
    k = SPDKernel()
    assert k.t_hotspot_ns == pytest.approx(0.06)
    t = np.array([-1.0, 0.0, 0.02, 0.06, 50.06, 1e4])
    f = k(t)
    amp = 0.5 * (1 - 0.02 / 50)
    assert f[0] == 0.0 and f[1] == 0.0
    assert f[2] == pytest.approx(amp * (1 - math.exp(-1)))
    assert f[3] == pytest.approx(k.plateau) and k.plateau == pytest.approx(amp * (1 - math.exp(-3)))
    assert f[4] == pytest.approx(k.plateau * math.exp(-1))
    assert f[5] < 1e-50
    assert np.all(np.diff(k(np.linspace(0, 0.06, 50))) > 0)
    assert np.array_equal(spd_flux(t), f)


def test_spd_circuit_time_constants_and_energy():
    c = SPDCircuit()
    assert c.tau_plus_ns == pytest.approx(0.02, rel=1e-3)  # 100 nH / 5 kΩ = 20 ps
    assert c.tau_minus_ns == pytest.approx(50.0)
    assert c.energy_aJ == pytest.approx(20.0)  # ½ · 100 nH · (20 µA)²
    assert c.phi_peak == pytest.approx(0.5)
    I = c.current_uA(np.array([0.0, 0.2, 1e6]))
    assert I[0] == 0.0 and I[1] == pytest.approx(20 * 5000 / 5002 * (1 - math.exp(-0.2 / c.tau_plus_ns)))
    assert I[2] < 1e-12


def test_spd_circuit_kernel_mapping_is_exact():
    c = SPDCircuit(L_tot_nH=80.0, r1_ohm=4000.0, r2_ohm=1.6, t0_ns=0.15, I_spd_uA=15.0, M_pH=60.0)
    k = c.to_kernel()
    assert k.tau_rise_ns == pytest.approx(c.tau_plus_ns)
    assert k.tau_fall_ns == pytest.approx(c.tau_minus_ns)
    assert k.t_hotspot_ns == c.t0_ns
    assert k.phi_peak == pytest.approx(60e-12 * 15e-6 / PHI0_WB)
    t = np.linspace(-1, 300, 3001)
    assert np.allclose(k(t), c.flux(t), rtol=1e-12, atol=1e-15)
    # and back
    c2 = k.to_circuit(L_tot_nH=80.0, I_spd_uA=15.0)
    assert c2.r1_ohm == pytest.approx(4000.0) and c2.r2_ohm == pytest.approx(1.6)
    assert c2.M_pH == pytest.approx(60.0)
    direct = spd_current_uA(t, L_tot_nH=80.0, r1_ohm=4000.0, r2_ohm=1.6, t0_ns=0.15, I_spd_uA=15.0)
    assert np.allclose(direct, c.current_uA(t))


def test_spd_bad_input():
    with pytest.raises(ValueError, match="tau_fall_ns"):
        SPDKernel(tau_rise_ns=1.0, tau_fall_ns=0.5)
    with pytest.raises(ValueError, match="L_tot_nH"):
        SPDCircuit(L_tot_nH=-1.0)
    with pytest.raises(ValueError, match="t_ns"):
        spd_flux(np.array([0.0, np.nan]))
    with pytest.raises(TypeError, match="I_spd_uA"):
        spd_current_uA(1.0, I_spd_uA="20")
