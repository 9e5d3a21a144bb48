"""Unit conversions of soen.units against PHYSICS.md §1."""

import math

import pytest

from soen.units import DEFAULT_JJ, JJ, PHI0_WB


def test_tau0_and_ns_per_tau0():
    assert DEFAULT_JJ.tau0_ps == pytest.approx(1.2828, rel=1e-4)
    assert DEFAULT_JJ.ns_to_tau(1.0) == pytest.approx(779.56, rel=1e-4)
    assert DEFAULT_JJ.tau_to_ns(DEFAULT_JJ.ns_to_tau(3.7)) == pytest.approx(3.7, rel=1e-12)


def test_derived_junction_quantities():
    assert PHI0_WB == pytest.approx(2.067833848e-15, rel=1e-9)
    assert DEFAULT_JJ.capacitance_F == pytest.approx(150e-15, rel=1e-12)
    assert DEFAULT_JJ.r_j_ohm == pytest.approx(2.5656, rel=1e-4)
    beta_c = 2 * math.pi * DEFAULT_JJ.ic_A * DEFAULT_JJ.r_j_ohm**2 * DEFAULT_JJ.capacitance_F / PHI0_WB
    assert beta_c == pytest.approx(0.3, rel=1e-12)


def test_inductance_leak_and_rate():
    assert DEFAULT_JJ.beta_to_inductance_nH(2 * math.pi * 100) == pytest.approx(2.068, rel=1e-3)
    assert DEFAULT_JJ.inductance_to_beta(2.0678338) == pytest.approx(2 * math.pi * 100, rel=1e-6)
    assert DEFAULT_JJ.alpha_from_tau(250.0, 2 * math.pi * 100) == pytest.approx(3.22e-3, rel=2e-3)
    assert DEFAULT_JJ.tau_from_alpha_ns(DEFAULT_JJ.alpha_from_tau(250.0, 5.0), 5.0) == pytest.approx(250.0)
    # g = 0.89 is about 110 fluxons per ns
    assert DEFAULT_JJ.g_to_fluxons_per_ns(0.89) == pytest.approx(110.4, rel=1e-2)
    assert DEFAULT_JJ.i_to_uA(DEFAULT_JJ.uA_to_i(37.0)) == pytest.approx(37.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_junction(bad):
    with pytest.raises(ValueError, match="beta_c"):
        JJ(beta_c=bad)
