"""Sorted sets over a blocking redis-py style client."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, MutableSet, Set
from contextlib import closing
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ._algebra import DEFAULT_AGGREGATE, Aggregate, SetAlgebra
from ._core import Cursor, UpdatePolicy
from ._protocol import Done, Operation, Request, Sleep, advance
from ._typing import T

if TYPE_CHECKING:
    from typing_extensions import Self

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


class SortedSet(SetAlgebra[T], MutableSet[T]):
    """A Redis sorted set of ``T`` items; the lowest score comes out first.

    Members are stored as the bytes the codec produces (UTF-8 text by
    default), so two items are the same member when they encode to the same
    bytes. Items with equal scores come out in byte order of their encoding.
    Without a scorer every item scores 0. ``add`` replaces the score of an
    item that is already waiting unless ``update=`` says otherwise.

    The class is a ``collections.abc.MutableSet``: ``in``, ``len``,
    iteration, ``remove``, ``pop``, ``|=``, ``-=``, ``<=``, ``==`` and
    ``isdisjoint`` work as on a Python set, with two differences. ``add``
    and ``discard`` return a bool where ``set`` returns None, and ``|``,
    ``&``, ``-`` and ``^`` return a ``list`` of members in score order,
    because members may be unhashable. Combining two redset sets runs on
    the server (see ``union``). A set compares by value, so it is not
    hashable, like ``set``.

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

    # MutableSet.add returns None. The bool shows the caller whether this add
    # queued new work, and a caller that expects None ignores the value, so
    # the override is safe.
    def add(  # type: ignore[override]
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
        written when one of them cannot be encoded. ``items`` may be another
        redset set: then this is ``union_update(items)``, one ZUNIONSTORE on
        the server with ``aggregate="min"``.

        Raises:
            InvalidValueError: ``update=`` was given with a redset set, whose
                scores combine by aggregate instead.
            IncompatibleSetsError: see ``union``.
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

    # MutableSet.discard returns None. A caller that expects None ignores
    # the bool, so the override is safe.
    def discard(self, item: T) -> bool:  # type: ignore[override]
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

    # -- set algebra ----------------------------------------------------------

    def union(
        self, other: Iterable[T], *, aggregate: Aggregate = DEFAULT_AGGREGATE
    ) -> list[T]:
        """Return the members of either set, in score order.

        ``other`` is a redset set or any iterable of items. A member in both
        gets the ``aggregate`` of its two scores: ``"min"`` (the default, so
        the earlier time or higher priority wins), ``"max"`` or ``"sum"``.
        Plain items are scored as ``update()`` would score them. One ZUNION
        with a redset set, O(N + M) on the server, and the whole result
        arrives in one reply. Plain items go to a temporary key and through
        ZUNIONSTORE in one Lua script.

        Raises:
            IncompatibleSetsError: the sets have different codecs, clients of
                different servers, or, on Redis Cluster, different slots.
        """
        return self._run(self._combined_op("union", other, aggregate))

    def intersection(
        self, other: Iterable[T], *, aggregate: Aggregate = DEFAULT_AGGREGATE
    ) -> list[T]:
        """Return the members in both sets, in score order.

        With a redset set, scores combine by ``aggregate`` as in ``union``;
        with plain items, members keep this set's scores. One ZINTER, or
        ZINTERSTORE in a Lua script for plain items. Raises
        IncompatibleSetsError as ``union`` does.
        """
        return self._run(self._combined_op("inter", other, aggregate))

    def difference(self, other: Iterable[T]) -> list[T]:
        """Return the members not in ``other``, in score order.

        Members keep their own scores. One ZDIFF, or ZDIFFSTORE in a Lua
        script for plain items. Raises IncompatibleSetsError as ``union``
        does.
        """
        return self._run(self._combined_op("diff", other))

    def symmetric_difference(self, other: Iterable[T]) -> list[T]:
        """Return the members in exactly one of the sets, in score order.

        Each member keeps the score it has on its own side, and plain items
        are scored as ``update()`` would score them. Two ZDIFFSTOREs and a
        ZUNIONSTORE in one Lua script.
        """
        return self._run(self._combined_op("xor", other))

    def union_update(
        self, other: Iterable[T], *, aggregate: Aggregate = DEFAULT_AGGREGATE
    ) -> None:
        """Add the members of ``other``; ``s |= other`` does the same.

        Atomic: one ZUNIONSTORE into this set's key in a Lua script. Scores
        combine as in ``union``, which differs from ``update()``: that one
        follows the set's ``update=`` policy.
        """
        self._run(self._store_op("union", other, aggregate))

    def intersection_update(
        self, other: Iterable[T], *, aggregate: Aggregate = DEFAULT_AGGREGATE
    ) -> None:
        """Keep only the members also in ``other``; ``s &= other`` does the same.

        Atomic: one ZINTERSTORE into this set's key in a Lua script.
        """
        self._run(self._store_op("inter", other, aggregate))

    def difference_update(self, other: Iterable[T]) -> None:
        """Remove the members of ``other``; ``s -= other`` does the same.

        One ZREM for plain items, one ZDIFFSTORE for a redset set.
        """
        self._run(self._difference_update_op(other))

    def symmetric_difference_update(self, other: Iterable[T]) -> None:
        """Keep the members in exactly one of the sets; ``s ^= other`` does the same.

        Atomic: one Lua script stores the result into this set's key.
        """
        self._run(self._store_op("xor", other))

    def issubset(self, other: Iterable[T]) -> bool:
        """Tell whether every member is also in ``other``.

        One Lua script counts the intersection with ZINTERSTORE: O(N + M) on
        the server, and plain items are sent in that one request.
        """
        return self._run(self._issubset_op(other))

    def issuperset(self, other: Iterable[T]) -> bool:
        """Tell whether every member of ``other`` is in this set.

        Costs as ``issubset`` does.
        """
        return self._run(self._issuperset_op(other))

    def isdisjoint(self, other: Iterable[T]) -> bool:
        """Tell whether no member is in both sets.

        A redset set costs as ``issubset`` does. Plain items are checked with
        one ZMSCORE per 1,000 items, and reading stops at the first member
        found, so an endless iterator works when it contains a member.
        """
        return self._run(self._isdisjoint_op(other))

    # The operators return lists where AbstractSet's return sets, because
    # members may be unhashable, and they accept any iterable of T as
    # MutableSet's mixins do. Hence the override ignores below.
    # NOTE: with a Python set on the left, as in {"a"} & s, type checkers
    # infer set[T] from typeshed's set.__and__, but the result is a list.

    def __or__(self, other: Iterable[T]) -> list[T]:  # type: ignore[override]
        if not isinstance(other, Iterable):
            return NotImplemented
        return self.union(other)

    def __ror__(self, other: Iterable[T]) -> list[T]:
        return self.__or__(other)

    def __and__(self, other: Iterable[T]) -> list[T]:  # type: ignore[override]
        if not isinstance(other, Iterable):
            return NotImplemented
        return self.intersection(other)

    def __rand__(self, other: Iterable[T]) -> list[T]:
        return self.__and__(other)

    def __sub__(self, other: Iterable[T]) -> list[T]:  # type: ignore[override]
        if not isinstance(other, Iterable):
            return NotImplemented
        return self.difference(other)

    def __rsub__(self, other: Iterable[T]) -> list[T]:
        """Return the items of ``other`` that are not members, in their order.

        One ZMSCORE per 1,000 items; items that encode alike count once.
        """
        if not isinstance(other, Iterable):
            return NotImplemented
        return self._run(self._missing_op(other))

    def __xor__(self, other: Iterable[T]) -> list[T]:  # type: ignore[override]
        if not isinstance(other, Iterable):
            return NotImplemented
        return self.symmetric_difference(other)

    def __rxor__(self, other: Iterable[T]) -> list[T]:
        return self.__xor__(other)

    def __ior__(self, other: Iterable[T]) -> Self:  # type: ignore[override]
        self.union_update(other)
        return self

    def __iand__(self, other: Iterable[T]) -> Self:
        self.intersection_update(other)
        return self

    def __isub__(self, other: Iterable[T]) -> Self:
        self.difference_update(other)
        return self

    def __ixor__(self, other: Iterable[T]) -> Self:  # type: ignore[override]
        self.symmetric_difference_update(other)
        return self

    # Comparisons take a Set, as Python's set does, or a redset set of either
    # kind; anything else is NotImplemented. Each is one Lua script that
    # counts both sets and their intersection, so the counts are consistent.

    def __le__(self, other: Set[Any]) -> bool:
        if not isinstance(other, (Set, SetAlgebra)):
            return NotImplemented
        return self.issubset(other)

    def __lt__(self, other: Set[Any]) -> bool:
        if not isinstance(other, (Set, SetAlgebra)):
            return NotImplemented
        return self._run(self._is_proper_subset_op(other))

    def __ge__(self, other: Set[Any]) -> bool:
        if not isinstance(other, (Set, SetAlgebra)):
            return NotImplemented
        return self.issuperset(other)

    def __gt__(self, other: Set[Any]) -> bool:
        if not isinstance(other, (Set, SetAlgebra)):
            return NotImplemented
        return self._run(self._is_proper_superset_op(other))

    def __eq__(self, other: object) -> bool:
        """Compare members with a Python set or another redset set.

        Raises IncompatibleSetsError for a redset set with another codec or
        server, instead of returning False about bytes that mean different
        things.
        """
        # NOTE: an item the codec cannot encode raises EncodeError here and in
        # the other comparisons, where a Python set would count it as absent.
        if not isinstance(other, (Set, SetAlgebra)):
            return NotImplemented
        return self._run(self._equals_op(other))

    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value


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
    items whose due time (a Unix timestamp) has come. ``len``, ``in``,
    iteration, comparisons and set algebra see every item, due or not.
    "Now" is the Redis server's clock, read inside the Lua script that
    checks and removes due items, so clients with skewed clocks agree; pass
    ``clock=`` to use another clock.

    The default ``update`` is ``"less"``: adding an item that is already
    scheduled keeps the earlier of the two due times.
    """

    default_update = "less"
    due_only = True

    # Returns a bool where MutableSet.add returns None; see SortedSet.add.
    def add(  # type: ignore[override]
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

        Unlike ``MutableSet.pop``, this raises while items that are not yet
        due remain, so ``while s: s.pop()`` can raise; loop on ``available()``
        or catch EmptyError instead.

        Raises:
            EmptyError: nothing was due in time. It is a KeyError.
        """
        return self._run(self._pop_op(timeout))

    def available(self) -> int:
        """Count the items that are due now (ZCOUNT in a Lua script)."""
        return self._run(self._available_op())
