"""The network schema: a network as plain data, derived from the model dataclasses' fields.

One description serves every file that holds a network: network files (``soen.io.network_io``, JSON or
HDF5), the network embedded in results files, TOML experiment configs (``soen.io.config``) and the
soen metadata of NIR nodes (``soen.io.nir``). The keys of an object are the fields of its dataclass
(``dataclasses.fields``: names, order, defaults, required-ness), and the value kind of each field
comes from its type annotation (``float``, ``int | None``, ``Synapse``, ...); only fields typed
``object`` (a connector, a projection target, spike channels, a matrix) are named here. A field added
to a model class is therefore stored, loaded and accepted in configs without touching this module
(an annotation it does not know fails loudly, in the tests).

Polymorphic slots carry a tag: connectors and sources ``"type"`` (class name, or the config alias
``"fixed_in_degree"``, ``"poisson"``, ...), distributions ``"distribution"`` (``"Uniform"`` or
``"uniform"``), standard point models ``{"model": "LIF", "params": {...}}``. A SOEN neuron is an
untagged object with the fields of :class:`~soen.model.morphology.Neuron`.

Decoding checks every key and type and names the key path in a :class:`SchemaError`
(``projections[1].connector.k: expected an integer, got 1.5 (float)``); the model constructors then
check ranges, and their errors are reported at the key they name.
"""

from __future__ import annotations

from ._decode import (
    construct,
    decode_network,
    decode_object,
    decode_point_model,
    decode_source,
    float_array,
    int_array,
)
from ._encode import encode_network, encode_object, encode_point_model
from ._fields import CONNECTORS, DISTRIBUTIONS, FILE, SOURCES, FieldSpec, Options, SchemaError, field_specs

__all__ = [
    "SchemaError",
    "Options",
    "FILE",
    "FieldSpec",
    "field_specs",
    "encode_network",
    "encode_object",
    "encode_point_model",
    "decode_network",
    "decode_object",
    "decode_point_model",
    "decode_source",
    "construct",
    "float_array",
    "int_array",
    "CONNECTORS",
    "SOURCES",
    "DISTRIBUTIONS",
]
