"""JsonCodec and PydanticCodec: canonical JSON members."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ._canonical import Canonicalizer
from ._codecs_typed import TypedAdapter, check_round_trip, import_pydantic, type_name
from .errors import EncodeError, InvalidTypeError

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["JsonCodec", "PydanticCodec", "canonical_json", "reject_constant"]

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")


# One encoder for every call, because json.dumps with options builds a new
# one each time.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(plain: Any) -> bytes:
    """Serialize canonical plain data as compact JSON with sorted keys, in UTF-8."""
    text = _ENCODER.encode(plain)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise EncodeError(
            plain,
            f"{plain!r} contains a lone surrogate {text[error.start : error.end]!r}, "
            "which UTF-8 cannot encode; fix the text it came from",
        ) from None


def reject_constant(name: str) -> Any:
    raise ValueError(f"JSON member contains {name}, which redset never writes")


class JsonCodec(Generic[T]):
    """Codec that stores members as canonical JSON.

    Members are compact JSON (no spaces) in UTF-8 with object keys sorted at
    every depth, so equal values are equal bytes. -0.0 is written as 0.0.

    Without a type, a value must be JSON data that comes back unchanged:
    dict with str keys, list, str, int, float, bool or None. A tuple, a set,
    bytes, a dict key that is not a str, NaN and infinities raise
    :class:`~redset.errors.EncodeError` instead of coming back changed.

    With a type, such as ``JsonCodec(tuple[int, int])`` or a TypedDict,
    pydantic (``pip install 'redset[pydantic]'``) checks each value strictly
    on encode and rebuilds it on decode, so a tuple comes back as a tuple.
    Sets are written sorted, aware datetimes are written in UTC, and a naive
    datetime raises EncodeError. Every typed encoding is decoded once to
    check that it comes back equal, and raises EncodeError if not.

    Note that ``1``, ``1.0`` and ``True`` are different members, although
    Python compares them equal, as they are different JSON values.

    Raises:
        InvalidTypeError: pydantic cannot build a schema for the type.
        ImportError: a type is given and pydantic is not installed.
    """

    @overload
    def __init__(self: JsonCodec[Any], /) -> None: ...

    @overload
    def __init__(self, type_: type[T], /) -> None: ...

    @overload
    def __init__(self: JsonCodec[Any], type_: Any, /) -> None: ...

    def __init__(self, type_: Any = None, /) -> None:
        self.type = type_
        self._typed = None if type_ is None else TypedAdapter(type_, "JsonCodec")
        self._canonical = Canonicalizer(
            binary=False, typed=self._typed is not None, serialize=canonical_json
        )
        # The name that error messages start with, computed once.
        self._label = repr(self)

    def encode(self, value: T, /) -> bytes:
        if self._typed is None:
            return canonical_json(self._canonical(value, self._label))
        dumped = self._typed.dump(value, self._label)
        data = canonical_json(self._canonical(dumped, self._label))
        check_round_trip(value, data, self.decode, self._label)
        return data

    def decode(self, data: bytes, /) -> T:
        if self._typed is None:
            # Decoding the UTF-8 first stops json.loads from guessing
            # UTF-16 or UTF-32 from the leading bytes.
            result: T = json.loads(data.decode("utf-8"), parse_constant=reject_constant)
            return result
        validated: T = self._typed.adapter.validate_json(data)
        return validated

    def __repr__(self) -> str:
        if self.type is None:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}({type_name(self.type)})"


class PydanticCodec(JsonCodec[M]):
    """Codec for pydantic models, stored as canonical JSON.

    Encoding writes every field (defaults included) by alias, keys sorted at
    every depth, sets sorted, and aware datetimes in UTC, so one instant in
    two time zones is one member. A naive datetime raises
    :class:`~redset.errors.EncodeError`, because each machine would read it in
    its own time zone.

    Decoding validates the stored JSON with the model, because data in Redis
    is untrusted input. A failure raises there, and the set turns it into
    :class:`~redset.errors.DecodeError` (pop and take move the member to the
    dead-letter set).

    Items wait in Redis across deploys, so mind how the model changes:

    - A field added later needs a default, or members written before it fail
      validation and go to dead letters when popped.
    - A field removed later is an extra key in old members. The model's own
      ``extra`` setting decides: ``"ignore"`` (pydantic's default) drops it,
      ``"forbid"`` fails validation, ``"allow"`` keeps it.
    - The same item encodes to other bytes once a field is added or removed,
      so an item added before the change and again after it is two members.

    Raises:
        InvalidTypeError: ``model`` is not a pydantic model class.
        ImportError: pydantic is not installed.
    """

    def __init__(self, model: type[M], /) -> None:
        pydantic = import_pydantic("PydanticCodec")
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise InvalidTypeError(
                f"PydanticCodec needs a pydantic model class (a subclass of "
                f"pydantic.BaseModel), got {model!r}; for other types use "
                "JsonCodec(type)"
            )
        super().__init__(model)
