"""Typed codecs: pydantic's TypeAdapter checks values and rebuilds them.

pydantic is imported only here, and only when a codec is given a type.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from .errors import EncodeError, InvalidTypeError

__all__ = ["TypedAdapter", "check_round_trip", "import_pydantic"]


def import_pydantic(codec_name: str) -> Any:
    try:
        import pydantic
    except ImportError as error:
        raise ImportError(
            f"{codec_name} with a type needs pydantic, which is an optional "
            "dependency: pip install 'redset[pydantic]'"
        ) from error
    return pydantic


def type_name(type_: Any) -> str:
    """Return a class by its name and a generic alias such as ``set[str]`` by repr."""
    return (
        type_.__name__
        if isinstance(type_, type) and not typing.get_args(type_)
        else repr(type_)
    )


class TypedAdapter:
    """Validates values of one type and dumps them for a canonical encoding."""

    def __init__(self, type_: Any, codec_name: str) -> None:
        pydantic = import_pydantic(codec_name)
        try:
            self.adapter = pydantic.TypeAdapter(type_)
            # Building the core schema is where an unusable type fails.
            _ = self.adapter.core_schema
        except (
            pydantic.PydanticSchemaGenerationError,
            pydantic.PydanticUserError,
        ) as error:
            raise InvalidTypeError(
                f"{codec_name} cannot use the type {type_name(type_)}: {error}"
            ) from error
        self.type = type_
        self.validation_error: type[Exception] = pydantic.ValidationError
        from pydantic_core import PydanticSerializationError

        self.serialization_error: type[Exception] = PydanticSerializationError

    def dump(self, value: Any, codec_name: str) -> Any:
        """Return ``value`` as pydantic's python-mode dump, or raise EncodeError.

        Strict validation checks the value's type without converting it, so
        "1" is not accepted as the int 1 only to come back as an int.
        """
        try:
            validated = self.adapter.validate_python(value, strict=True)
        except self.validation_error as error:
            raise EncodeError(
                value,
                f"{codec_name} cannot encode {value!r}: it is not a valid "
                f"{type_name(self.type)}: {error}",
            ) from None
        # NOTE: the python-mode dump skips serializers marked
        # when_used="json" and the ser_json_* settings, so check_round_trip
        # raises EncodeError when that changes a value. Warnings are off
        # because strict validation already checked the type, and
        # warnings="error" needs pydantic 2.7.
        try:
            return self.adapter.dump_python(
                validated, mode="python", by_alias=True, warnings=False
            )
        except self.serialization_error as error:
            raise EncodeError(
                value, f"{codec_name} cannot encode {value!r}: {error}"
            ) from None


def check_round_trip(
    value: Any, data: bytes, decode: Callable[[bytes], Any], codec_name: str
) -> None:
    """Raise EncodeError unless ``data`` decodes back to a value equal to ``value``.

    A typed codec checks every encoding this way. A member that comes back
    changed (a tuple inside an ``Any`` field read back as a list, say) would
    break membership tests on the set, and one that does not decode would go
    to dead letters.
    """
    try:
        decoded = decode(data)
    except ValueError as error:
        # pydantic's ValidationError is a ValueError.
        raise EncodeError(
            value,
            f"{codec_name} would store {value!r} as {data[:200]!r}, which does "
            f"not decode: {error}",
        ) from None
    if decoded != value:
        raise EncodeError(
            value,
            f"{codec_name} would store {value!r} as {data[:200]!r}, which decodes "
            f"to {decoded!r}; use field types that say what each value is",
        )
