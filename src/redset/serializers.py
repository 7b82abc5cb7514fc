"""Serializers kept from redset 0.5, for sets created with ``serializer=``."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

__all__ = ["NamedtupleSerializer"]

N = TypeVar("N")


class NamedtupleSerializer(Generic[N]):
    """Store a namedtuple as a JSON object of its fields.

    Fields are written in sorted order, so equal tuples are one member.
    """

    def __init__(self, namedtuple_class: type[N]) -> None:
        self.namedtuple_class = namedtuple_class

    def dumps(self, value: Any) -> str:
        return json.dumps(value._asdict(), sort_keys=True, separators=(",", ":"))

    def loads(self, data: bytes | str) -> N:
        return self.namedtuple_class(**json.loads(data))

    def __repr__(self) -> str:
        return f"NamedtupleSerializer({self.namedtuple_class.__name__})"
