"""MsgpackCodec: canonical msgpack members."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from ._canonical import Canonicalizer
from ._codecs_typed import TypedAdapter, check_round_trip, type_name
from .errors import EncodeError

__all__ = ["MsgpackCodec"]

T = TypeVar("T")


def import_msgpack() -> Any:
    try:
        import msgpack
    except ImportError as error:
        raise ImportError(
            "MsgpackCodec needs msgpack, which is an optional dependency: "
            "pip install 'redset[msgpack]'"
        ) from error
    return msgpack


class MsgpackCodec(Generic[T]):
    """Codec that stores members as canonical msgpack.

    Maps are written with their keys sorted at every depth: str keys first,
    by text, then other keys by their packed bytes. str and
    bytes stay distinct (msgpack's str and bin types), floats are always
    64-bit, and -0.0 is written as 0.0.

    Without a type, a value must be msgpack data that comes back unchanged:
    dict with str, bytes or int keys, list, str, bytes, int, float, bool or
    None. A tuple, a set, NaN, and an int outside [-2**63, 2**64 - 1] raise
    :class:`~redset.errors.EncodeError` instead of coming back changed.

    With a type (``MsgpackCodec(tuple[int, int])``), pydantic checks and
    rebuilds values as for :class:`JsonCodec`: sets are written sorted,
    aware datetimes as UTC text, and a naive datetime raises EncodeError.

    Raises:
        ImportError: msgpack is not installed, or a type is given and
            pydantic is not installed.
        InvalidTypeError: pydantic cannot build a schema for the type.
    """

    @overload
    def __init__(self: MsgpackCodec[Any], /) -> None: ...

    @overload
    def __init__(self, type_: type[T], /) -> None: ...

    @overload
    def __init__(self: MsgpackCodec[Any], type_: Any, /) -> None: ...

    def __init__(self, type_: Any = None, /) -> None:
        msgpack = import_msgpack()
        self._packb = msgpack.packb
        self._unpackb = msgpack.unpackb
        self.type = type_
        self._typed = None if type_ is None else TypedAdapter(type_, "MsgpackCodec")
        self._canonical = Canonicalizer(
            binary=True, typed=self._typed is not None, serialize=self._pack
        )
        # The name that error messages start with, computed once.
        self._label = repr(self)

    def _pack(self, plain: Any) -> bytes:
        try:
            data: bytes = self._packb(plain, use_bin_type=True)
        except UnicodeEncodeError as error:
            raise EncodeError(
                plain,
                f"{plain!r} contains a lone surrogate, which UTF-8 cannot "
                f"encode ({error.reason}); fix the text it came from",
            ) from None
        return data

    def encode(self, value: T, /) -> bytes:
        if self._typed is None:
            return self._pack(self._canonical(value, self._label))
        dumped = self._typed.dump(value, self._label)
        data = self._pack(self._canonical(dumped, self._label))
        check_round_trip(value, data, self.decode, self._label)
        return data

    def decode(self, data: bytes, /) -> T:
        # int map keys are allowed because the encoder writes them.
        plain = self._unpackb(data, raw=False, strict_map_key=False)
        if self._typed is None:
            result: T = plain
            return result
        validated: T = self._typed.adapter.validate_python(plain)
        return validated

    def __repr__(self) -> str:
        if self.type is None:
            return "MsgpackCodec()"
        return f"MsgpackCodec({type_name(self.type)})"
