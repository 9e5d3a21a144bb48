"""Engines: compile a network into flat arrays (the IR) and step them (CPU/Numba today)."""

from .compile import CompiledNetwork, compile_network
from .result import Result

__all__ = ["CompiledNetwork", "compile_network", "Result"]
