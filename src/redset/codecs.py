"""Codecs: how set members become the bytes Redis stores.

A Redis sorted set compares members by their bytes, so a codec decides what
"the same item" means. Every codec shipped here is canonical: two equal values
always encode to the same bytes. :class:`SerializerCodec` is the exception,
because the serializer it wraps decides the bytes.

- :class:`TextCodec` (the default) and :class:`BytesCodec` store text and
  bytes as they are.
- :class:`JsonCodec` and :class:`MsgpackCodec` store plain data, or values of
  a given type through pydantic.
- :class:`PydanticCodec` stores pydantic models and validates what it reads.
- :class:`DataclassCodec` stores dataclasses and needs no extra.
- :class:`SerializerCodec` adapts the ``dumps``/``loads`` serializers of
  redset 0.5; those decide their own canonical form.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

from ._codecs_dataclass import DataclassCodec
from ._codecs_json import JsonCodec, PydanticCodec
from ._codecs_msgpack import MsgpackCodec
from .errors import EncodeError, InvalidTypeError

__all__ = [
    "BytesCodec",
    "Codec",
    "DataclassCodec",
    "JsonCodec",
    "MsgpackCodec",
    "PydanticCodec",
    "Serializer",
    "SerializerCodec",
    "TextCodec",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class Codec(Protocol[T]):
    """Converts members to bytes and back.

    ``decode(encode(v)) == v`` must hold, and equal values must encode to
    equal bytes, because Redis decides membership by comparing bytes.
    """

    def encode(self, value: T, /) -> bytes: ...

    def decode(self, data: bytes, /) -> T: ...


@runtime_checkable
class Serializer(Protocol[T_co]):
    """The serializer interface of redset 0.5: ``dumps`` and ``loads``.

    The ``json`` and ``pickle`` modules fit it, as ``Serializer[Any]``.
    """

    def dumps(self, obj: Any, /) -> str | bytes: ...

    def loads(self, data: bytes, /) -> T_co: ...


class TextCodec:
    """Codec for ``str`` members, stored as UTF-8. The default codec."""

    def encode(self, value: str, /) -> bytes:
        if not isinstance(value, str):
            raise EncodeError(
                value,
                f"TextCodec encodes str only, got {type(value).__name__} "
                f"{value!r}; convert it with str() or pass another codec",
            )
        return value.encode("utf-8")

    def decode(self, data: bytes, /) -> str:
        return data.decode("utf-8")

    def __repr__(self) -> str:
        return "TextCodec()"


class BytesCodec:
    """Codec for ``bytes`` members, stored as they are."""

    def encode(self, value: bytes, /) -> bytes:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise EncodeError(
                value,
                f"BytesCodec encodes bytes only, got {type(value).__name__} {value!r}",
            )
        return bytes(value)

    def decode(self, data: bytes, /) -> bytes:
        return bytes(data)

    def __repr__(self) -> str:
        return "BytesCodec()"


class SerializerCodec:
    """Adapter that lets a 0.5-style serializer act as a codec.

    ``dumps`` may return ``str`` (stored as UTF-8) or ``bytes``; ``loads``
    receives the stored bytes. The serializer decides canonical form: the
    ``json`` module, for one, keeps dict keys in insertion order.
    """

    def __init__(self, serializer: Serializer[Any]) -> None:
        self.serializer = serializer

    def encode(self, value: Any, /) -> bytes:
        data = self.serializer.dumps(value)
        if isinstance(data, str):
            return data.encode("utf-8")
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
        raise EncodeError(
            value,
            f"{self.serializer!r}.dumps() returned {type(data).__name__}, "
            "expected str or bytes",
        )

    def decode(self, data: bytes, /) -> Any:
        return self.serializer.loads(data)

    def __repr__(self) -> str:
        return f"SerializerCodec({self.serializer!r})"


def _has_methods(obj: object, *names: str) -> bool:
    return all(callable(getattr(obj, name, None)) for name in names)


def resolve_codec(codec: object, serializer: object) -> Codec[Any]:
    """Return the codec a set should use, given its ``codec=`` and ``serializer=``.

    Either argument may be a codec (``encode``/``decode``) or a 0.5-style
    serializer (``dumps``/``loads``). With neither, members are ``str``.
    """
    if codec is not None and serializer is not None:
        raise InvalidTypeError("pass codec= or serializer=, not both")
    chosen = codec if codec is not None else serializer
    if chosen is None:
        return TextCodec()
    if _has_methods(chosen, "encode", "decode"):
        return chosen  # type: ignore[return-value]  # checked structurally above
    if _has_methods(chosen, "dumps", "loads"):
        return SerializerCodec(chosen)  # type: ignore[arg-type]  # checked above
    raise InvalidTypeError(
        f"{chosen!r} is not a codec: it needs encode() and decode() methods "
        "(or dumps() and loads(), as the json module has)"
    )
