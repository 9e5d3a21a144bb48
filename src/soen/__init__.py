"""soen: simulate, train and design superconducting optoelectronic neuromorphic (SOEN) hardware."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
