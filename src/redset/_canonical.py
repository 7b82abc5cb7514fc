"""Canonical plain values: the step before a codec writes JSON or msgpack.

Redis compares members by their bytes, so each codec first turns a value into
plain data (dict, list, str, int, float, bool, None, and bytes for msgpack) in
one fixed form. Map keys come in one order and -0.0 becomes 0.0. Untyped
codecs reject tuples and sets, because they would come back as lists. Typed
codecs write them as lists (sets sorted), because validation rebuilds them
from the type, and they move aware datetimes to UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .errors import EncodeError

__all__ = ["Canonicalizer", "location"]

# msgpack stores integers in 64 bits: signed down to -2**63, unsigned up to
# 2**64 - 1.
MSGPACK_MIN_INT = -(2**63)
MSGPACK_MAX_INT = 2**64 - 1


class Rejected(Exception):
    """A part of the value that has no canonical form, found at ``path``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def location(path: list[str]) -> str:
    """Return where a rejected part sits, such as ``value['tags'][0]``."""
    if not path:
        return "the value"
    return "value" + "".join(reversed(path))


class Canonicalizer:
    """Turns values into canonical plain data for one serializer.

    Args:
        binary: msgpack rules (bytes kept, int and bytes map keys allowed,
            64-bit integers, infinities allowed) instead of JSON rules.
        typed: the value is a pydantic python-mode dump of a known type, so
            tuples and sets become lists (validation rebuilds them), aware
            datetimes move to UTC and other leaves such as UUID or Decimal
            take pydantic's JSON form.
        serialize: the serializer's bytes for one plain element; sets are
            sorted by it.
    """

    def __init__(
        self, *, binary: bool, typed: bool, serialize: Callable[[Any], bytes]
    ) -> None:
        self.binary = binary
        self.typed = typed
        self.serialize = serialize

    def __call__(self, value: Any, codec_name: str) -> Any:
        """Return the canonical plain form of ``value``, or raise EncodeError."""
        try:
            return self._walk(value)
        except Rejected as error:
            raise EncodeError(
                value,
                f"{codec_name} cannot encode {location(error.path)}: {error.message}",
            ) from None
        except RecursionError:
            raise EncodeError(
                value,
                f"{codec_name} cannot encode {type(value).__name__}: it is nested "
                "too deeply or contains itself",
            ) from None

    def _walk(self, value: Any) -> Any:
        # Exact-type checks first: they cover almost every value, cheaply.
        kind = type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            return self._int(value)
        if kind is float:
            return self._float(value)
        if isinstance(value, dict):
            return self._dict(value)
        if isinstance(value, list):
            return self._items(value)

        # Subclasses, such as an IntEnum, compare equal to the plain value
        # that comes back.
        if isinstance(value, str):
            return value
        if isinstance(value, int):
            return self._int(value)
        if isinstance(value, float):
            return self._float(value)
        if isinstance(value, bytes | bytearray) and self.binary:
            return bytes(value)

        if isinstance(value, tuple):
            if self.typed:
                return self._items(value)
            raise Rejected(
                f"a {kind.__name__} would come back as a list; pass a list, or "
                "give the codec the type, for example JsonCodec(tuple[int, int])"
            )
        if isinstance(value, set | frozenset):
            if self.typed:
                return self._set(value)
            raise Rejected(
                f"a {kind.__name__} would come back as a list; pass a sorted "
                "list, or give the codec the type, for example JsonCodec(set[str])"
            )

        if self.typed:
            return self._leaf(value)
        raise Rejected(
            f"{kind.__name__} {value!r} is not a "
            + ("msgpack" if self.binary else "JSON")
            + " type; convert it first, or give the codec a type so that "
            "pydantic converts it"
        )

    def _int(self, value: int) -> int:
        if self.binary and not MSGPACK_MIN_INT <= value <= MSGPACK_MAX_INT:
            raise Rejected(
                f"{value} is outside msgpack's integer range "
                f"[-2**63, 2**64 - 1]; store it as a str"
            )
        return int(value)

    def _float(self, value: float) -> float:
        if math.isnan(value):
            raise Rejected("NaN is not equal to itself, so it cannot be a member")
        if math.isinf(value) and not self.binary:
            raise Rejected(f"JSON has no {value}; use msgpack or a sentinel value")
        # -0.0 == 0.0, so both must be written the same way.
        return float(value) if value != 0.0 else 0.0

    def _items(self, values: list[Any] | tuple[Any, ...]) -> list[Any]:
        result = []
        for index, item in enumerate(values):
            try:
                result.append(self._walk(item))
            except Rejected as error:
                error.path.append(f"[{index}]")
                raise
        return result

    def _set(self, values: set[Any] | frozenset[Any]) -> list[Any]:
        # Equal sets can iterate in different orders, so sort the elements
        # by their encoded bytes.
        return sorted((self._walk(item) for item in values), key=self.serialize)

    def _dict(self, mapping: dict[Any, Any]) -> dict[Any, Any]:
        converted: dict[Any, Any] = {}
        only_str_keys = True
        for key, item in mapping.items():
            if type(key) is str:
                plain_key = key
            else:
                plain_key = self._key(key)
                only_str_keys = only_str_keys and isinstance(plain_key, str)
            if plain_key in converted:
                raise Rejected(f"two keys are both written as {plain_key!r}")
            try:
                converted[plain_key] = self._walk(item)
            except Rejected as error:
                error.path.append(f"[{key!r}]")
                raise
        if not self.binary:
            # JSON sorts keys while it writes (sort_keys=True).
            return converted

        # Build the dict in key order, because msgpack writes it as it
        # iterates.
        if only_str_keys:
            return {key: converted[key] for key in sorted(converted)}
        return dict(sorted(converted.items(), key=self._key_order))

    def _key(self, key: Any) -> Any:
        if isinstance(key, str):
            return key
        if self.binary and isinstance(key, bytes | int) and not isinstance(key, bool):
            return bytes(key) if isinstance(key, bytes) else self._int(key)
        if self.typed:
            plain = self._walk(key)
            if isinstance(plain, list):
                raise Rejected(f"map key {key!r} would become a list")
            if isinstance(plain, str) or self.binary:
                return plain
            # A JSON key is text, as pydantic writes it: the int 1 is "1".
            return self.serialize(plain).decode("utf-8")
        allowed = "str, bytes or int" if self.binary else "str"
        raise Rejected(
            f"map key {key!r} has type {type(key).__name__}, but only {allowed} keys "
            "come back unchanged; convert the keys, or give the codec a type"
        )

    def _key_order(self, pair: tuple[Any, Any]) -> tuple[int, Any]:
        # str keys come first, sorted by text, then other keys sorted by
        # their packed bytes, so that any mix of key types has one order.
        key = pair[0]
        if isinstance(key, str):
            return (0, key)
        return (1, self.serialize(key))

    def _leaf(self, value: Any) -> Any:
        if isinstance(value, datetime):
            # Formatted here rather than by pydantic, so the stored bytes do
            # not depend on the pydantic version.
            return utc_datetime(value).isoformat()[:-6] + "Z"
        from pydantic_core import PydanticSerializationError, to_jsonable_python

        try:
            plain = to_jsonable_python(value)
        except PydanticSerializationError as error:
            raise Rejected(f"{type(value).__name__} {value!r}: {error}") from None
        return self._walk(plain)


def utc_datetime(value: datetime) -> datetime:
    """Return an aware datetime in UTC; reject a naive one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise Rejected(
            f"naive datetime {value!r} means a different instant on each "
            "machine's time zone; pass an aware datetime, for example "
            "datetime.now(timezone.utc)"
        )
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise Rejected(
            f"{value!r} is outside the datetimes UTC can represent"
        ) from None
