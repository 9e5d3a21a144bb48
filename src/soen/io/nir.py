"""NIR interchange: import a NIR graph as a soen network of point models, export one to NIR.

NIR (Neuromorphic Intermediate Representation; Pedersen et al., Nat. Commun. 15, 8122 (2024)) states
continuous-time ODEs and leaves every discretisation choice to the simulator. :func:`from_nir` makes
each of them an explicit argument and writes the values used into ``NIRNetwork.metadata``:

=================  =================================================================================
``dt``             time step, in the graph's time unit (``time_unit_s`` seconds; NIR producers such as
                   snnTorch and Norse use seconds)
``integration``    ``"exact"`` (exponential propagator) or ``"euler"`` (forward Euler; what snnTorch's
                   exporter assumes: β = 1 − dt/τ, R = τ/dt so that v ← βv + I)
``euler_order``    CubaLIF under Euler only: ``"simultaneous"`` (I and v both from the values at t_n) or
                   ``"current_first"`` (v's step uses I_{n+1}: snnTorch's Synaptic, syn ← α syn + x,
                   mem ← β mem + syn, exported with α = 1 − dt/τ_syn, w_in = τ_syn/dt)
``reset``          ``"value"`` (v ← v_reset of the node, or ``reset_value``), ``"zero"`` (v ← 0),
                   ``"subtract"`` (v ← v − (v_th − v_reset))
``order``          ``"integrate_then_threshold"`` (propagate, threshold, reset at once) or
                   ``"deferred_reset"`` (snnTorch ``reset_delay=True``: the reset of a spike is applied
                   in the next step — a subtraction after, a reset-to-value before its propagation)
``threshold``      ``"ge"`` (spike when v ≥ v_th) or ``"gt"`` (v > v_th; snnTorch)
``propagation``    ``"same_step"`` (a spike of step n is integrated by its targets in step n: the
                   discrete-time reading of a feed-forward graph, as in snnTorch/Norse; zero-delay loops
                   are refused) or ``"next_step"`` (causal: one step per edge, soen's own semantics)
``time_unit_s``    seconds per graph time unit; potentials are read as mV and currents as nA (so R is
                   in MΩ), i.e. NIR's dimensionless numbers keep their values
=================  =================================================================================

``preset="snntorch"`` sets the six choices to snnTorch's (euler, current_first, subtract,
deferred_reset, gt, same_step) for its Leaky (LIF) and Synaptic (CubaLIF) exports; arguments given
explicitly win. Inputs are spike trains: an (T, n) array of non-negative integers (spike counts per
step) per Input node; a weight ``W`` of an Affine after the input becomes the weight of a synapse, its
bias a constant input current (``i_offset_nA``).

Supported nodes: Input, Output, Affine, Linear, Scale, Flatten, Conv1d, Conv2d, SumPool2d, AvgPool2d,
Delay (linear maps, composed and lowered to explicit sparse connections), LIF, CubaLIF, LI, IF, I,
Threshold (populations). Delays become connection delays (rounded to the step).

:func:`to_nir` exports a network of NIR-family point models (LIF, CubaLIF, LI, IF, I, Threshold) in
NIR parameters that any NIR reader simulates the same way (a constant input ``i_offset_nA`` becomes
v_leak + R·i_offset for LIF/LI, θ − i_offset for Threshold, an Affine bias in front of CubaLIF/IF/I; a
refractory period, which NIR lacks, is exported without it for other readers with a
:class:`NIRExportWarning`, or refused with ``refractory="error"``), and with every soen
parameter in node metadata, read back by :func:`from_nir` so that a round trip restores the network
exactly. Conductance-based and delta-current models and SOEN neurons are refused (ValueError says why).

A ``.nir`` file given to :func:`from_nir` is read as data from elsewhere: soen's own reader (not NIR's)
refuses links and external storage, checks declared sizes against the file, node types, parameter
shapes and edges, and names the file and the node in every error (a ``ValueError``; missing files
raise ``FileNotFoundError``). The implementation lives in ``soen.io._nir_file`` (reading and checking),
``soen.io._nir_lower`` (linear nodes → connections), ``soen.io._nir_import`` and ``soen.io._nir_export``.
"""

from __future__ import annotations

from ._nir_export import NIRExportWarning, to_nir
from ._nir_file import NS_PER_MS
from ._nir_import import PRESETS, NIRNetwork, from_nir

__all__ = ["from_nir", "to_nir", "NIRNetwork", "NIRExportWarning", "PRESETS", "NS_PER_MS"]
