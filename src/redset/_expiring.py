"""The I/O-free core of ExpiringSet: members that each expire after a TTL.

The set is a sorted set of member -> expiry time (Unix seconds). A member is
live while its expiry time is later than now. Reads compare with now inside
a Lua script, so they are correct without a cleanup pass, and ``purge`` only
frees the memory of expired members.
"""

from __future__ import annotations

from typing import Any, overload

from ._core import _CLEAR, Clock, Cursor, SetCore
from ._leases import check_seconds, load_script_with_preludes
from ._protocol import Command, Operation, eval_script
from ._replies import as_float
from ._typing import T
from .codecs import Codec, Serializer
from .errors import EncodeError

__all__ = ["ExpiringCore"]

_ADD = load_script_with_preludes("expiring_add", "clock_prelude")
_TTL = load_script_with_preludes("expiring_ttl", "clock_prelude")
_COUNT = load_script_with_preludes("expiring_count", "clock_prelude")
_DISCARD = load_script_with_preludes("expiring_discard", "clock_prelude")
_PURGE = load_script_with_preludes("expiring_purge", "clock_prelude")


class ExpiringCore(SetCore[T]):
    """Operations of ExpiringSet, shared by its sync and async classes."""

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        *,
        ttl: float,
        codec: Codec[T] | None = None,
        serializer: None = None,
        clock: Clock | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        *,
        ttl: float,
        codec: None = None,
        serializer: Serializer[T],
        clock: Clock | None = None,
    ) -> None: ...

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        ttl: float,
        codec: Any = None,
        serializer: Any = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(client, name, None, serializer, codec=codec, clock=clock)
        self._ttl = check_seconds(ttl, "ttl")

    @property
    def default_ttl(self) -> float:
        """The seconds a member lives when ``add`` gets no ``ttl``."""
        return self._ttl

    def _typed_keys(self) -> list[tuple[str, str]]:
        return [(self._name, "zset")]

    def _script_op(self, script: Any, *args: Any) -> Operation[Any]:
        arguments = [self._now_argument(), *args]
        return (yield from eval_script(script, [self._name], arguments))

    def _expiring_add_op(self, item: T, ttl: object) -> Operation[bool]:
        seconds = self._ttl if ttl is None else check_seconds(ttl, "ttl")
        member = self._encode(item)
        return bool((yield from self._script_op(_ADD, seconds, member)))

    def _ttl_op(self, item: T) -> Operation[float | None]:
        return (yield from self._member_ttl_op(self._encode(item)))

    def _member_ttl_op(self, member: bytes) -> Operation[float | None]:
        reply = yield from self._script_op(_TTL, member)
        return None if reply is None or reply is False else as_float(reply)

    def _expiring_contains_op(self, item: T) -> Operation[bool]:
        try:
            member = self._encode(item)
        except EncodeError:
            # A value the codec cannot encode is never a member.
            return False
        return (yield from self._member_ttl_op(member)) is not None

    def _expiring_count_op(self) -> Operation[int]:
        return int((yield from self._script_op(_COUNT)))

    def _expiring_discard_op(self, item: T) -> Operation[bool]:
        return bool((yield from self._script_op(_DISCARD, self._encode(item))))

    def _purge_op(self) -> Operation[int]:
        return int((yield from self._script_op(_PURGE)))

    def _expiring_clear_op(self) -> Operation[None]:
        # The script checks the key's type first, so a clashing key of
        # another program is reported, not deleted.
        yield from eval_script(_CLEAR, [self._name], ["zset"])

    def _live_page_op(
        self, cursor: Cursor | None
    ) -> Operation[tuple[list[tuple[T, float]], Cursor | None]]:
        """Read a page of live (item, expiry) pairs, soonest expiry first.

        The first page starts after now; later pages continue from the cursor,
        so a member that expires during iteration may still be returned.
        """
        if cursor is not None:
            return (yield from self._page_op(cursor))
        now = yield from self._clock_now_op()
        return (yield from self._page_op(None, start=f"({now!r}"))

    def _clock_now_op(self) -> Operation[float]:
        if self._clock is not None:
            return float(self._clock())
        seconds, microseconds = yield Command(("TIME",))
        return int(seconds) + int(microseconds) / 1_000_000
