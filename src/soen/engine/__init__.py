"""Engines: compile a network into the frozen IR (:class:`~soen.engine.ir.Compiled`), step it with an
engine object (:mod:`soen.engines`), under one driver (:mod:`soen.engine.driver`)."""

from .ir import Compiled, compile
from .result import Result

__all__ = ["Compiled", "compile", "Result"]
