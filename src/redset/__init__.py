"""Typed Redis-backed sorted sets for sharing work between processes.

A set contains each item once, so duplicate requests for the same work collapse
into one. Sync classes are here; their asyncio twins are in
:mod:`redset.asyncio`.
"""

from ._algebra import Aggregate
from ._core import Clock, Scorer, UpdatePolicy
from ._leases import DeadLetter, Lease
from ._sync import ExpiringSet, ScheduledSet, SortedSet, TimeSortedSet
from .codecs import (
    BytesCodec,
    Codec,
    DataclassCodec,
    JsonCodec,
    MsgpackCodec,
    PydanticCodec,
    Serializer,
    SerializerCodec,
    TextCodec,
)
from .errors import (
    DecodeError,
    EmptyError,
    EncodeError,
    IncompatibleSetsError,
    InvalidScoreError,
    InvalidTypeError,
    InvalidValueError,
    MemberNotFoundError,
    RedsetError,
    UnsupportedServerError,
    WrongTypeError,
)

__version__ = "1.0.0.dev0"

__all__ = [
    "Aggregate",
    "BytesCodec",
    "Clock",
    "Codec",
    "DataclassCodec",
    "DeadLetter",
    "DecodeError",
    "EmptyError",
    "EncodeError",
    "ExpiringSet",
    "IncompatibleSetsError",
    "InvalidScoreError",
    "InvalidTypeError",
    "InvalidValueError",
    "JsonCodec",
    "Lease",
    "MemberNotFoundError",
    "MsgpackCodec",
    "PydanticCodec",
    "RedsetError",
    "ScheduledSet",
    "Scorer",
    "Serializer",
    "SerializerCodec",
    "SortedSet",
    "TextCodec",
    "TimeSortedSet",
    "UnsupportedServerError",
    "UpdatePolicy",
    "WrongTypeError",
]
