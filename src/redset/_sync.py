"""Sorted sets over a blocking redis-py style client."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ._core import Cursor, SetCore, UpdatePolicy
from ._protocol import Done, Operation, Request, Sleep, advance
from ._typing import T

__all__ = ["ScheduledSet", "SortedSet", "TimeSortedSet", "run"]

R = TypeVar("R")


def run(client: Any, operation: Operation[R]) -> R:
    """Execute an operation's requests one by one on a blocking client."""
    with closing(operation):
        step = advance(operation)
        while not isinstance(step, Done):
            step = advance(operation, *_execute(client, step))
        return step.value


def _execute(client: Any, request: Request) -> tuple[Any, Exception | None]:
    """Return the reply to ``request``, or the client exception it raised."""
    try:
        if isinstance(request, Sleep):
            time.sleep(request.seconds)
            return None, None
        return client.execute_command(*request.args), None
    except Exception as error:
        return None, error


class SortedSet(SetCore[T]):
    """A Redis sorted set of ``T`` items; the lowest score comes out first.

    Members are stored as the bytes the codec produces (UTF-8 text by
    default), so two items are the same member when they encode to the same
    bytes. Items with equal scores come out in byte order of their encoding.
    Without a scorer every item scores 0. ``add`` replaces the score of an
    item that is already waiting unless ``update=`` says otherwise.

    Args:
        client: a ``redis.Redis``, ``redis.cluster.RedisCluster``, valkey or
            fakeredis client. It must not use ``decode_responses=True``.
        name: the Redis key of the set.
        scorer: computes the score of an item added without ``score=``.
        serializer: a 0.5-style object with ``dumps``/``loads``.
        codec: a :class:`~redset.codecs.Codec` for the members.
        update: what ``add`` does to the score of a waiting item by default:
            ``"replace"``, ``"keep"`` (ZADD NX), ``"greater"`` (GT) or
            ``"less"`` (LT).
        clock: returns the current Unix time; only time-based sets use it.

    Raises:
        InvalidTypeError, InvalidValueError: on a bad argument, before any
            command is sent.
    """

    def _run(self, operation: Operation[R]) -> R:
        result: R = run(self.client, self._guarded(operation))
        return result

    def add(
        self, item: T, score: float | None = None, *, update: UpdatePolicy | None = None
    ) -> bool:
        """Add ``item`` and return True when it was not in the set.

        ``score`` defaults to the scorer's value; ``score=0`` is a score.
        ``update`` chooses what happens to an item that is already waiting
        (see the class docstring). One ZADD, O(log N).

        Raises:
            InvalidScoreError: ``score`` is NaN.
            EncodeError: the codec cannot encode ``item``.
            WrongTypeError: the key holds another Redis type.
        """
        return self._run(self._add_item_op(item, score, update))

    def update(self, items: Iterable[T], *, update: UpdatePolicy | None = None) -> int:
        """Add many items scored by the scorer; return how many were new.

        One ZADD for the whole batch. Items are encoded first, so nothing is
        written when one of them cannot be encoded.
        """
        return self._run(self._update_op(items, update))

    def add_scored(
        self,
        pairs: Iterable[tuple[T, float]],
        *,
        update: UpdatePolicy | None = None,
    ) -> int:
        """Add ``(item, score)`` pairs; return how many items were new.

        One ZADD for the whole batch. When an item appears twice, the pairs
        apply in order, as ZADD applies them.
        """
        return self._run(self._add_scored_op(pairs, update))

    def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the item with the lowest score.

        With ``timeout`` (seconds), wait up to that long for an item
        (BZPOPMIN; ``math.inf`` waits forever). Without it, one ZPOPMIN.

        Raises:
            EmptyError: no item arrived in time. It is a KeyError.
        """
        return self._run(self._pop_op(timeout))

    def take(self, count: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``count`` items, lowest scores first.

        One ZPOPMIN when items are waiting. With ``timeout``, an empty set is
        waited on for up to that many seconds, and whatever is there when the
        first item arrives is returned. ``take(0)`` returns ``[]`` without a
        command.

        Raises:
            InvalidValueError: ``count`` is negative.
        """
        return self._run(self._take_op(count, timeout))

    def peek(self, position: int = 0) -> T:
        """Return the item at ``position`` in score order without removing it.

        Raises:
            EmptyError: there is no item at that position. It is a KeyError.
            DecodeError: the member does not decode; it stays in the set.
        """
        return self._run(self._peek_op(position))

    def peek_score(self) -> float | None:
        """Return the score of the next item out, or None when there is none."""
        return self._run(self._peek_score_op())

    def score(self, item: T) -> float | None:
        """Return the score of ``item``, or None when it is not in the set."""
        return self._run(self._score_op(item))

    def discard(self, item: T) -> bool:
        """Remove ``item`` if present; return True when it was removed."""
        return self._run(self._discard_op(item))

    def remove(self, item: T) -> None:
        """Remove ``item``.

        Raises:
            MemberNotFoundError: ``item`` is not in the set. It is a KeyError.
        """
        self._run(self._remove_op(item))

    def clear(self) -> None:
        """Remove every item (DEL of the set's key). Dead letters stay."""
        self._run(self._clear_op())

    def __len__(self) -> int:
        return self._run(self._len_op())

    def __contains__(self, item: object) -> bool:
        return self._run(self._contains_op(item))  # type: ignore[arg-type]  # any value may be tested

    def __iter__(self) -> Iterator[T]:
        """Iterate over the items in score order, a page of 1,000 at a time.

        Not a snapshot: an item re-scored during iteration can appear twice or
        not at all, but items popped from the front do not disturb it.
        """
        for item, _ in self.items():
            yield item

    def items(self) -> Iterator[tuple[T, float]]:
        """Iterate over ``(item, score)`` pairs in score order, page by page."""
        cursor: Cursor | None = None
        while True:
            page, cursor = self._run(self._page_op(cursor))
            yield from page
            if cursor is None:
                return


class TimeSortedSet(SortedSet[T]):
    """A first-in, first-out set: the default score is the time of the add.

    The time comes from ``clock`` (default ``time.time``). Items added while
    the clock reads the same value still come out in the order they were
    added by this object. The default ``update`` is ``"keep"``: re-adding a
    waiting item keeps its place, so an item that is added again and again
    still reaches the front.
    """

    default_update = "keep"
    time_scored = True


class ScheduledSet(SortedSet[T]):
    """A set of items that each become available at a time: their score.

    ``pop``, ``take``, ``peek``, ``peek_score`` and ``available`` see only
    items whose due time (a Unix timestamp) has come; ``len``, ``in`` and
    iteration see every item. "Now" is the Redis server's clock, read inside
    the Lua script that checks and removes due items, so clients with skewed
    clocks agree; pass ``clock=`` to use another clock.

    The default ``update`` is ``"less"``: adding an item that is already
    scheduled keeps the earlier of the two due times.
    """

    default_update = "less"
    due_only = True

    def add(
        self,
        item: T,
        score: float | None = None,
        *,
        at: datetime | float | None = None,
        delay: float | timedelta | None = None,
        update: UpdatePolicy | None = None,
    ) -> bool:
        """Schedule ``item``; return True when it was not in the set.

        Give at most one of ``score`` or ``at`` (a Unix time or an aware
        datetime) or ``delay`` (seconds or a timedelta from now). With none
        of them, the item is due now (or at the scorer's value). A delay
        without ``clock=`` is added to the server's time in a Lua script.
        """
        return self._run(self._schedule_op(item, score, at, delay, update))

    def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the due item with the earliest due time.

        One Lua script checks due-ness and removes the item. With ``timeout``,
        poll until an item is due or the time is up: the wait between polls
        is at most 50 ms and ends early when the next item falls due.

        Raises:
            EmptyError: nothing was due in time. It is a KeyError.
        """
        return self._run(self._pop_op(timeout))

    def available(self) -> int:
        """Count the items that are due now (ZCOUNT in a Lua script)."""
        return self._run(self._available_op())
