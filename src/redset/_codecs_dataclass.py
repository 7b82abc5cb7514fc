"""DataclassCodec: dataclasses stored as canonical JSON, without pydantic."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import types
import typing
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ._canonical import Canonicalizer, Rejected, location
from ._codecs_json import canonical_json, reject_constant
from ._codecs_typed import type_name
from .errors import EncodeError, InvalidTypeError

__all__ = ["DataclassCodec"]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")

_PLAIN_JSON = Canonicalizer(binary=False, typed=False, serialize=canonical_json)


class _Converter(Protocol):
    def dump(self, value: Any) -> Any: ...

    def load(self, plain: Any) -> Any: ...


def _mismatch(expected: str, value: Any) -> Rejected:
    return Rejected(f"expected {expected}, got {type(value).__name__} {value!r}")


class _Scalar:
    def __init__(self, kind: type) -> None:
        self.kind = kind

    def dump(self, value: Any) -> Any:
        return self._check(value)

    def load(self, plain: Any) -> Any:
        return self._check(plain)

    def _check(self, value: Any) -> Any:
        kind = self.kind
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _mismatch("float", value)
            number = float(value)
            if not math.isfinite(number):
                raise Rejected(f"JSON has no {number}")
            # -0.0 == 0.0, so both are written as 0.0.
            return number if number != 0.0 else 0.0
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _mismatch("int", value)
            return int(value)
        if kind is type(None):
            if value is not None:
                raise _mismatch("None", value)
            return None
        if not isinstance(value, kind):
            raise _mismatch(kind.__name__, value)
        return value


class _Any:
    def dump(self, value: Any) -> Any:
        return _PLAIN_JSON._walk(value)

    def load(self, plain: Any) -> Any:
        return plain


class _Optional:
    def __init__(self, inner: _Converter) -> None:
        self.inner = inner

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)

    def load(self, plain: Any) -> Any:
        return None if plain is None else self.inner.load(plain)


def _each(convert: Any, items: Any) -> list[Any]:
    result = []
    for index, item in enumerate(items):
        try:
            result.append(convert(index, item))
        except Rejected as error:
            error.path.append(f"[{index}]")
            raise
    return result


class _Sequence:
    """A list, or a tuple of one element type (``tuple[int, ...]``)."""

    def __init__(self, kind: type, item: _Converter) -> None:
        self.kind = kind
        self.item = item

    def dump(self, value: Any) -> Any:
        if type(value) is not self.kind:
            raise _mismatch(self.kind.__name__, value)
        return _each(lambda _, item: self.item.dump(item), value)

    def load(self, plain: Any) -> Any:
        if not isinstance(plain, list):
            raise _mismatch("a JSON array", plain)
        return self.kind(_each(lambda _, item: self.item.load(item), plain))


class _Tuple:
    """A tuple with a type for each position (``tuple[int, str]``)."""

    def __init__(self, items: list[_Converter]) -> None:
        self.items = items

    def _check_length(self, value: Any) -> None:
        if len(value) != len(self.items):
            raise Rejected(f"expected {len(self.items)} items, got {len(value)}")

    def dump(self, value: Any) -> Any:
        if type(value) is not tuple:
            raise _mismatch("tuple", value)
        self._check_length(value)
        return _each(lambda index, item: self.items[index].dump(item), value)

    def load(self, plain: Any) -> Any:
        if not isinstance(plain, list):
            raise _mismatch("a JSON array", plain)
        self._check_length(plain)
        return tuple(_each(lambda index, item: self.items[index].load(item), plain))


class _Dict:
    def __init__(self, item: _Converter) -> None:
        self.item = item

    def _convert(self, mapping: Any, convert: Any) -> dict[str, Any]:
        if not isinstance(mapping, dict):
            raise _mismatch("dict", mapping)
        result = {}
        for key, item in mapping.items():
            if not isinstance(key, str):
                raise Rejected(f"dict key {key!r} is not a str")
            try:
                result[key] = convert(item)
            except Rejected as error:
                error.path.append(f"[{key!r}]")
                raise
        return result

    def dump(self, value: Any) -> Any:
        return self._convert(value, self.item.dump)

    def load(self, plain: Any) -> Any:
        return self._convert(plain, self.item.load)


class _Dataclass:
    def __init__(self, cls: type) -> None:
        self.cls = cls
        # Filled in by _build, after this object is cached, so that a
        # dataclass may refer to itself.
        self.fields: dict[str, _Converter] = {}
        self.required: set[str] = set()

    def dump(self, value: Any) -> Any:
        # A subclass instance would lose its extra fields, so only the exact
        # class is accepted.
        if type(value) is not self.cls:
            raise _mismatch(self.cls.__name__, value)
        result = {}
        for name, converter in self.fields.items():
            try:
                result[name] = converter.dump(getattr(value, name))
            except Rejected as error:
                error.path.append(f".{name}")
                raise
        return result

    def load(self, plain: Any) -> Any:
        if not isinstance(plain, dict):
            raise _mismatch(f"a JSON object for {self.cls.__name__}", plain)
        missing = self.required - plain.keys()
        if missing:
            raise Rejected(
                f"{self.cls.__name__} field(s) {', '.join(sorted(missing))} "
                "missing, and they have no default"
            )
        arguments = {}
        # Keys that are not fields are ignored: a newer version of the class
        # may have added them, and its items must still decode here.
        for name, converter in self.fields.items():
            if name not in plain:
                continue
            try:
                arguments[name] = converter.load(plain[name])
            except Rejected as error:
                error.path.append(f".{name}")
                raise
        return self.cls(**arguments)


_SCALARS = (str, int, float, bool, type(None))


class _Builder:
    """Builds the converter for a type hint; rejects types it cannot store."""

    def __init__(self, codec_name: str) -> None:
        self.codec_name = codec_name
        self.dataclasses: dict[type, _Dataclass] = {}

    def build(self, hint: Any, where: str) -> _Converter:
        origin = typing.get_origin(hint)
        arguments = typing.get_args(hint)
        if hint is Any:
            return _Any()
        if hint in _SCALARS:
            return _Scalar(hint)
        if hint is None:
            return _Scalar(type(None))
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            return self.dataclass(hint)
        if origin in (typing.Union, types.UnionType):
            others = [a for a in arguments if a is not type(None)]
            if len(others) == 1 and len(arguments) == 2:
                return _Optional(self.build(others[0], where))
        if hint is list or origin is list:
            item = arguments[0] if arguments else Any
            return _Sequence(list, self.build(item, where))
        if hint is tuple or origin is tuple:
            if not arguments or (len(arguments) == 2 and arguments[1] is Ellipsis):
                item = arguments[0] if arguments else Any
                return _Sequence(tuple, self.build(item, where))
            return _Tuple([self.build(a, where) for a in arguments])
        if hint is dict or origin is dict:
            key, item = arguments if arguments else (str, Any)
            if key is str:
                return _Dict(self.build(item, where))
        raise InvalidTypeError(
            f"{self.codec_name} cannot store {where} of type {type_name(hint)}: it "
            "stores str, int, float, bool, None, Any, X | None, list, tuple, "
            "dict with str keys and dataclasses; use PydanticCodec for others"
        )

    def dataclass(self, cls: type) -> _Dataclass:
        if cls in self.dataclasses:
            return self.dataclasses[cls]
        converter = self.dataclasses[cls] = _Dataclass(cls)
        try:
            hints = typing.get_type_hints(cls)
        except (NameError, TypeError) as error:
            raise InvalidTypeError(
                f"{self.codec_name} cannot resolve the field types of "
                f"{cls.__name__}: {error}"
            ) from error
        # Fields with init=False are set by the class itself, so they are
        # neither stored nor passed back to __init__.
        for field in sorted(dataclasses.fields(cls), key=lambda f: f.name):
            if not field.init:
                continue
            where = f"field {cls.__name__}.{field.name}"
            converter.fields[field.name] = self.build(hints[field.name], where)
            has_default = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if not has_default:
                converter.required.add(field.name)
        self._check_init(cls, converter)
        return converter

    def _check_init(self, cls: type, converter: _Dataclass) -> None:
        """Reject a class whose __init__ needs arguments that are not stored.

        An InitVar without a default is one: every member would encode, and
        then fail to decode.
        """
        for parameter in inspect.signature(cls).parameters.values():
            required = parameter.default is inspect.Parameter.empty
            if required and parameter.name not in converter.fields:
                raise InvalidTypeError(
                    f"{self.codec_name} cannot rebuild {cls.__name__}: its "
                    f"__init__ requires {parameter.name!r}, which is not a stored "
                    "field; give it a default"
                )


class DataclassCodec(Generic[D]):
    """Codec for dataclasses, stored as canonical JSON; needs no extra.

    A member is a JSON object of the dataclass's fields (``init=False``
    fields excepted), keys sorted at every depth, compact, in UTF-8. Field
    types may be str, int, float, bool, None, Any (plain JSON data, checked
    as by an untyped :class:`JsonCodec`), ``X | None``, list, tuple, dict
    with str keys, and nested dataclasses. An int given for a float field is
    written as a float, so 1 and 1.0 are one member.

    Encoding checks each field against its type and raises
    :class:`~redset.errors.EncodeError` on a mismatch, or for an instance of
    a subclass, whose extra fields would be lost.

    Decoding checks the stored JSON against the field types. For members
    written by another version of the class:

    - A field missing from the member takes its default; without a default
      the member does not decode (pop moves it to dead letters).
    - A key that is not a field is ignored, so members written by a newer
      version with more fields still decode.

    Raises:
        InvalidTypeError: ``cls`` is not a dataclass, a field has a type
            this codec cannot store, or ``__init__`` requires an argument
            that is not a stored field (an InitVar without a default).
    """

    def __init__(self, cls: type[D], /) -> None:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise InvalidTypeError(
                f"DataclassCodec needs a dataclass, got {cls!r}; decorate the "
                "class with @dataclasses.dataclass, or use JsonCodec(type)"
            )
        self.cls = cls
        self._converter = _Builder("DataclassCodec").dataclass(cls)

    def encode(self, value: D, /) -> bytes:
        try:
            plain = self._converter.dump(value)
        except Rejected as error:
            raise EncodeError(
                value,
                f"{self!r} cannot encode {location(error.path)}: {error.message}",
            ) from None
        return canonical_json(plain)

    def decode(self, data: bytes, /) -> D:
        plain = json.loads(data.decode("utf-8"), parse_constant=reject_constant)
        try:
            result: D = self._converter.load(plain)
        except Rejected as error:
            raise ValueError(f"{location(error.path)}: {error.message}") from None
        return result

    def __repr__(self) -> str:
        return f"DataclassCodec({self.cls.__name__})"
