"""Exceptions raised by redset.

Every exception derives from :class:`RedsetError`, and each one also derives
from the builtin exception it refines, so ``except KeyError`` around a pop
keeps working::

    RedsetError
    ├── EmptyError              (KeyError)    nothing to pop or peek
    ├── MemberNotFoundError     (KeyError)    remove() of an absent member
    ├── InvalidValueError       (ValueError)  bad argument value
    │   └── InvalidScoreError                 NaN score, or too large for a double
    ├── InvalidTypeError        (TypeError)   bad argument type
    ├── EncodeError             (ValueError)  the codec cannot encode a value
    ├── DecodeError             (ValueError)  a stored member does not decode
    ├── WrongTypeError          (TypeError)   the key has another Redis type
    ├── IncompatibleSetsError   (ValueError)  two sets cannot be combined
    └── UnsupportedServerError  (RuntimeError) the server is too old

Errors about client input are raised before anything is written to Redis.
Connection and timeout errors are the client library's own and pass through
unchanged.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DecodeError",
    "EmptyError",
    "EncodeError",
    "IncompatibleSetsError",
    "InvalidScoreError",
    "InvalidTypeError",
    "InvalidValueError",
    "MemberNotFoundError",
    "RedsetError",
    "UnsupportedServerError",
    "WrongTypeError",
]


class RedsetError(Exception):
    """Root of every exception that redset raises itself."""

    def __str__(self) -> str:
        # KeyError's own __str__ shows the repr of its argument, which would
        # wrap these messages in quotes.
        return str(self.args[0]) if self.args else ""


class EmptyError(RedsetError, KeyError):
    """No item is available: the set is empty, or nothing in it is due yet."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


class MemberNotFoundError(RedsetError, KeyError):
    """The item is not a member of the set."""

    def __init__(self, key: str, item: Any) -> None:
        super().__init__(f"{item!r} is not a member of the set {key!r}")
        self.key = key
        self.item = item


class InvalidValueError(RedsetError, ValueError):
    """An argument has the right type but a value redset cannot use."""


class InvalidScoreError(InvalidValueError):
    """A score is NaN, or an integer too large to convert to a double."""

    def __init__(self, score: object, message: str) -> None:
        super().__init__(message)
        self.score = score


class InvalidTypeError(RedsetError, TypeError):
    """An argument has a type redset cannot use."""


class EncodeError(RedsetError, ValueError):
    """The codec could not turn a value into bytes."""

    def __init__(self, value: Any, message: str) -> None:
        super().__init__(message)
        self.value = value


class DecodeError(RedsetError, ValueError):
    """A member stored in Redis could not be decoded by the set's codec.

    ``raw`` is the member's bytes exactly as Redis stores them, so the
    caller can inspect or repair it.
    """

    def __init__(self, key: str, raw: bytes, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.raw = raw


# Words for the types that the TYPE command names otherwise; TYPE names
# the rest (string, list, set, hash, stream) in words already.
_TYPE_WORDS = {"zset": "sorted set", "vectorset": "vector set"}


class WrongTypeError(RedsetError, TypeError):
    """A key used by the set has a value of another Redis type."""

    def __init__(
        self,
        key: str,
        redis_type: str,
        expected: str = "sorted set",
        *,
        message: str | None = None,
    ) -> None:
        found = _TYPE_WORDS.get(redis_type, redis_type)
        super().__init__(
            message
            or f"Redis key {key!r} holds a {found}, not a {expected}; "
            "choose another set name or delete that key"
        )
        self.key = key
        self.redis_type = redis_type


class IncompatibleSetsError(RedsetError, ValueError):
    """Two sets cannot be combined on the server with a correct result.

    Their codecs differ, their clients reach different servers, or on Redis
    Cluster their keys are in different slots.
    """

    def __init__(self, key: str, other_key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.other_key = other_key


class UnsupportedServerError(RedsetError, RuntimeError):
    """The Redis server is older than the oldest version redset supports."""

    def __init__(self, version: str, required: str) -> None:
        super().__init__(
            f"Redis server version {version} is not supported; redset needs "
            f"Redis {required} or newer (ZADD GT/LT and ZRANGE BYSCORE LIMIT)"
        )
        self.version = version
        self.required = required
