"""Typed Redis-backed sorted sets for sharing work between processes.

A set holds each item once, so duplicate requests for the same work collapse
into one. Sync classes are here; their asyncio twins are in
:mod:`redset.asyncio`.
"""

from ._core import Clock, Scorer, UpdatePolicy
from ._leases import DeadLetter, Lease
from ._sync import ExpiringSet, ScheduledSet, SortedSet, TimeSortedSet
from .codecs import BytesCodec, Codec, Serializer, SerializerCodec, TextCodec
from .errors import (
    DecodeError,
    EmptyError,
    EncodeError,
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
    "BytesCodec",
    "Clock",
    "Codec",
    "DeadLetter",
    "DecodeError",
    "EmptyError",
    "EncodeError",
    "ExpiringSet",
    "InvalidScoreError",
    "InvalidTypeError",
    "InvalidValueError",
    "Lease",
    "MemberNotFoundError",
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
