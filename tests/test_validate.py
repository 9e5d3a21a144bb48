"""soen._validate: one set of input checks; every message names the parameter, the value and what is allowed."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from soen import _validate as V


# --- numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 2.5, np.float32(0.25), np.int64(3), np.uint8(7), np.array(1.5), Fraction(1, 2)])
def test_real_numbers_are_accepted_as_float(value):
    v = V.check_number("X.a", value)
    assert isinstance(v, float) and v == float(value)


@pytest.mark.parametrize(
    "value, kind",
    [(True, "bool"), (np.bool_(False), "bool"), ("39", "str"), (None, "NoneType"), (1 + 2j, "complex"),
     ([1.0], "list"), (np.array([1.0]), "ndarray"), (object(), "object")],
)
def test_non_numbers_are_type_errors_naming_parameter_value_and_kind(value, kind):
    with pytest.raises(TypeError, match=rf"X\.a must be a finite number > 0; got .* \({kind}\)"):
        V.check_number("X.a", value, low=0, low_open=True)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"), 10**400])
def test_non_finite_numbers_are_value_errors(value):
    with pytest.raises(ValueError, match=r"X\.a must be a finite number; got "):
        V.check_number("X.a", value)


@pytest.mark.parametrize(
    "kw, value, ok",
    [
        (dict(low=0), 0.0, True), (dict(low=0, low_open=True), 0.0, False), (dict(low=0), -1e-300, False),
        (dict(high=1), 1.0, True), (dict(high=1, high_open=True), 1.0, False),
        (dict(low=0, high=1), 0.5, True), (dict(low=0, high=1), 1.5, False),
    ],
)
def test_ranges_with_open_and_closed_ends(kw, value, ok):
    if ok:
        assert V.check_number("X.a", value, **kw) == value
    else:
        with pytest.raises(ValueError, match=r"X\.a must be"):
            V.check_number("X.a", value, **kw)


@pytest.mark.parametrize(
    "kw, text",
    [
        (dict(low=0, low_open=True), "X.a must be a finite number > 0; got -1"),
        (dict(low=0), "X.a must be a finite number >= 0; got -1"),
        (dict(high=-2), "X.a must be a finite number <= -2; got -1"),
        (dict(low=0, high=1, high_open=True), "X.a must be in [0, 1); got -1"),
        (dict(low=1, integer=True), "X.a must be an integer >= 1; got -1"),
        (dict(low=0, high=2.5, unit="ns"), "X.a must be in [0, 2.5] ns; got -1"),
    ],
)
def test_messages_say_what_is_allowed(kw, text):
    with pytest.raises(ValueError) as info:
        V.check_number("X.a", -1, **kw)
    assert str(info.value) == text


@pytest.mark.parametrize("value", [3, np.int32(3), np.uint64(3), np.array(3)])
def test_integers(value):
    v = V.check_int("X.n", value, low=1)
    assert v == 3 and type(v) is int


@pytest.mark.parametrize("value", [2.7, 3.0, "3", True, np.float64(3.0), None])
def test_non_integers_are_refused_not_truncated(value):
    with pytest.raises(TypeError, match=r"X\.n must be an integer >= 1; got "):
        V.check_int("X.n", value, low=1)


def test_huge_integers_are_compared_exactly():
    assert V.check_int("X.n", 2**80) == 2**80
    with pytest.raises(ValueError, match=r"X\.n must be an integer in \[0, 2147483647\]; got 2147483648"):
        V.check_int("X.n", 2**31, low=0, high=V.INT32_MAX)


def test_allow_none_and_allow_inf():
    assert V.check_number("X.a", None, allow_none=True) is None
    with pytest.raises(TypeError, match="or None"):
        V.check_number("X.a", "x", allow_none=True)
    assert V.check_number("X.a", -math.inf, allow_inf=True) == -math.inf
    with pytest.raises(ValueError, match="not NaN"):
        V.check_number("X.a", math.nan, allow_inf=True)


# --- bools, choices, names, seeds, instances, sequences --------------------------------------------
def test_bool():
    assert V.check_bool("f.progress", True) is True and V.check_bool("f.progress", np.bool_(False)) is False
    assert V.check_bool("f.progress", None, allow_none=True) is None
    for bad in ("yes", 1, 0, None, "True"):
        with pytest.raises(TypeError, match=r"f\.progress must be True or False; got "):
            V.check_bool("f.progress", bad)
    with pytest.raises(TypeError, match=r"must be True, False or None; got 'yes' \(str\)"):
        V.check_bool("f.progress", "yes", allow_none=True)


def test_choice():
    assert V.check_choice("f.method", "heun", ("euler", "heun")) == "heun"
    with pytest.raises(ValueError, match=r"f\.method must be one of 'euler', 'heun'; got 'rk4'"):
        V.check_choice("f.method", "rk4", ("euler", "heun"))
    with pytest.raises(TypeError, match=r"f\.method must be one of .*; got 3 \(int\)"):
        V.check_choice("f.method", 3, ("euler", "heun"))
    with pytest.raises(TypeError):  # True == 1, but a bool is not the int choice
        V.check_choice("f.k", True, (1, 2))


@pytest.mark.parametrize("bad, exc", [("a b", ValueError), ("1a", ValueError), ("", ValueError), (5, TypeError),
                                      (None, TypeError), (b"a", TypeError)])
def test_name(bad, exc):
    assert V.check_name("P.name", "exc_1") == "exc_1"
    with pytest.raises(exc, match=r"P\.name must be an identifier-like string"):
        V.check_name("P.name", bad)


def test_seed():
    assert V.check_seed("seed", np.uint64(2**64 - 1)) == 2**64 - 1
    with pytest.raises(ValueError, match="seed must be a non-negative integer below 2\\*\\*63; got 9223372036854775808"):
        V.check_seed("seed", 2**63, high=2**63)
    for bad in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="seed must be a non-negative integer"):
            V.check_seed("seed", bad)
    with pytest.raises(ValueError):
        V.check_seed("seed", -1)


def test_instance_and_sequence():
    assert V.check_instance("N.soma", 3, int) == 3
    with pytest.raises(TypeError, match=r"N\.soma must be a float or None; got 'x' \(str\)"):
        V.check_instance("N.soma", "x", float, allow_none=True)
    assert V.check_sequence("t.layers", [3, 9]) == (3, 9)
    assert V.check_sequence("t.layers", np.array([3, 9])) == (3, 9)
    for bad in ("39", 39, {3: 9}, {3, 9}, None):
        with pytest.raises(TypeError, match=r"t\.layers must be a sequence"):
            V.check_sequence("t.layers", bad)


# --- arrays ---------------------------------------------------------------------------------------
def test_arrays_of_reals():
    a = V.check_array("X.w", [1, 2.5, np.float32(3)], ndim=1)
    assert a.dtype == np.float64 and a.tolist() == [1.0, 2.5, 3.0]
    src = np.array([1.0, 2.0])
    assert V.check_array("X.w", src) is not src  # always a copy
    assert V.check_array("X.w", []).shape == (0,)
    assert V.check_array("X.w", 2.0).shape == ()


@pytest.mark.parametrize(
    "value, exc, pattern",
    [
        ("abc", TypeError, r"X\.w must be a number or an array of real numbers; got 'abc'"),
        (None, TypeError, r"X\.w must be a number or an array of real numbers; got None"),
        ([1.0, True], TypeError, r"not bools"),
        (np.array([True, False]), TypeError, r"got array of bool"),
        (np.array(["1", "2"]), TypeError, r"got array of <U1"),
        (np.array([1 + 1j]), TypeError, r"got array of complex128"),
        ([1.0, "x"], TypeError, r"X\.w must be"),
        ([[1.0, 2.0], [3.0]], ValueError, r"X\.w must be a rectangular array of real numbers"),
        ([1.0, math.nan], ValueError, r"X\.w must be finite; got nan \(entry 1\)"),
        ([[1.0, 2.0], [3.0, math.inf]], ValueError, r"X\.w must be finite; got inf \(entry \(1, 1\)\)"),
    ],
)
def test_bad_arrays(value, exc, pattern):
    with pytest.raises(exc, match=pattern):
        V.check_array("X.w", value)


def test_array_shape_and_range():
    with pytest.raises(ValueError, match=r"X\.p must be a 2-D array; got shape \(3,\)"):
        V.check_array("X.p", [1, 2, 3], ndim=2)
    with pytest.raises(ValueError, match=r"X\.p must have shape \(3, any\); got shape \(2, 2\)"):
        V.check_array("X.p", np.zeros((2, 2)), shape=(3, None))
    with pytest.raises(ValueError, match=r"X\.t must be >= 0 ns; got -2\.0 \(entry 1\)"):
        V.check_array("X.t", [1.0, -2.0], low=0.0, unit="ns")
    with pytest.raises(ValueError, match=r"must not be empty"):
        V.check_array("X.t", [], allow_empty=False)
    assert V.check_array("X.t", [math.inf], finite=False)[0] == math.inf
    with pytest.raises(ValueError, match="not NaN"):
        V.check_array("X.t", [math.nan], finite=False)


def test_integer_arrays():
    a = V.check_array("F.pre", np.array([0, 1], dtype=np.uint16), integer=True)
    assert a.dtype == np.int64
    assert V.check_array("F.pre", [], integer=True).dtype == np.int64
    assert V.check_array("F.pre", np.array([2**40], dtype=object), integer=True)[0] == 2**40
    with pytest.raises(TypeError, match=r"F\.pre must be an array of integers; got array of float64"):
        V.check_array("F.pre", [0.0, 1.0], integer=True, ndim=1)
    with pytest.raises(ValueError, match="fit in 64 bits"):
        V.check_array("F.pre", np.array([2**64 - 1], dtype=np.uint64), integer=True)
    with pytest.raises(ValueError, match=r"F\.pre must be >= 0; got -1 \(entry 0\)"):
        V.check_array("F.pre", [-1, 2], integer=True, low=0)


def test_message_pieces():
    assert V.interval_text(0, None, True) == "(0, inf]"
    assert V.range_text(0, math.inf) == ">= 0"
    assert V.range_text() == ""
    assert V.show(np.zeros((2, 3))) == "array(shape=(2, 3), dtype=float64)"
    assert V.show(np.float64(1.5)) == "1.5"
    assert V.show("x" * 500).endswith("...") and len(V.show("x" * 500)) == 80

    class Broken:
        def __repr__(self):
            raise RuntimeError

    assert V.show(Broken()) == "<Broken object>"
