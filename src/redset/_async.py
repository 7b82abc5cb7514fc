"""Sorted sets over a ``redis.asyncio`` style client.

Each class has the same name, arguments, defaults and errors as its twin in
``redset``, and runs the same operations from ``_core``. Dunder methods that
cannot be coroutines have named forms: ``await s.count()`` for ``len(s)``,
``await s.contains(x)`` for ``x in s``; ``async for`` iterates. Set algebra
has named coroutines only (``await s.union(other)``, ``await s.issubset(x)``),
because operators cannot be awaited.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ._algebra import DEFAULT_AGGREGATE, Aggregate, SetAlgebra
from ._core import Cursor, UpdatePolicy
from ._expiring import ExpiringCore
from ._leases import DeadLetter, Lease
from ._protocol import Operation, Sleep
from ._typing import T

__all__ = ["ExpiringSet", "ScheduledSet", "SortedSet", "TimeSortedSet", "run"]

R = TypeVar("R")


async def run(client: Any, operation: Operation[R]) -> R:
    """Execute an operation's requests one by one on an asyncio client.

    The same loop as the sync driver's, with each request awaited.
    """
    try:
        request = operation.send(None)
        while True:
            try:
                if isinstance(request, Sleep):
                    await asyncio.sleep(request.seconds)
                    reply = None
                else:
                    # NOTE: a cancellation while a pop's command is in flight
                    # drops its reply, and with it any items Redis removed:
                    # at most once.
                    reply = await client.execute_command(*request.args)
            except Exception as error:
                request = operation.throw(error)
                continue
            request = operation.send(reply)
    except StopIteration as stop:
        result: R = stop.value
        return result
    finally:
        # CancelledError is a BaseException, so it is not thrown into the
        # operation. close() still runs its finally blocks, but it can send
        # no more commands.
        operation.close()


class SortedSet(SetAlgebra[T]):
    """Asyncio twin of :class:`redset.SortedSet`; see it for the semantics."""

    is_async = True

    async def _run(self, operation: Operation[R]) -> R:
        result: R = await run(self.client, self._guarded(operation))
        return result

    async def add(
        self, item: T, score: float | None = None, *, update: UpdatePolicy | None = None
    ) -> bool:
        """Add ``item``; return True when it was not in the set."""
        return await self._run(self._add_item_op(item, score, update))

    async def update(
        self, items: SortedSet[T] | Iterable[T], *, update: UpdatePolicy | None = None
    ) -> int:
        """Add many items scored by the scorer; return how many were new."""
        return await self._run(self._update_op(items, update))

    async def add_scored(
        self,
        pairs: Iterable[tuple[T, float]],
        *,
        update: UpdatePolicy | None = None,
    ) -> int:
        """Add ``(item, score)`` pairs; return how many items were new."""
        return await self._run(self._add_scored_op(pairs, update))

    async def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the item with the lowest score.

        The same commands as the sync pop: Lua scripts, and with
        ``timeout`` BZPOPMIN while the set is empty, checked by another
        script. A cancelled pop leaves the client usable but may have
        removed the item: see :mod:`redset.asyncio`.

        Raises:
            EmptyError: no item arrived in time. It is a KeyError.
        """
        return await self._run(self._pop_op(timeout))

    async def take(self, count: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``count`` items, lowest scores first.

        Cancellation behaves as for :meth:`pop`.
        """
        return await self._run(self._take_op(count, timeout))

    async def peek(self, position: int = 0) -> T:
        """Return the item at ``position`` in score order without removing it."""
        return await self._run(self._peek_op(position))

    async def peek_score(self) -> float | None:
        """Return the score of the next item out, or None when there is none."""
        return await self._run(self._peek_score_op())

    async def score(self, item: T) -> float | None:
        """Return the score of ``item``, or None when it is not in the set."""
        return await self._run(self._score_op(item))

    async def discard(self, item: T) -> bool:
        """Remove ``item`` if present; return True when it was removed."""
        return await self._run(self._discard_op(item))

    async def remove(self, item: T) -> None:
        """Remove ``item``, raising MemberNotFoundError when it is absent."""
        await self._run(self._remove_op(item))

    async def clear(self) -> None:
        """Remove every item, waiting or in flight; dead letters stay."""
        await self._run(self._clear_op())

    async def count(self) -> int:
        """Return the number of items, as ``len()`` does for the sync class."""
        return await self._run(self._len_op())

    async def contains(self, item: T) -> bool:
        """Tell whether ``item`` is in the set, as ``in`` does for the sync class.

        A value the codec cannot encode is never a member: the result is False.
        """
        return await self._run(self._contains_op(item))

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate_items()

    async def _iterate_items(self) -> AsyncIterator[T]:
        async for item, _ in self.items():
            yield item

    async def items(self) -> AsyncIterator[tuple[T, float]]:
        """Iterate over ``(item, score)`` pairs in score order, page by page."""
        cursor: Cursor | None = None
        while True:
            page, cursor = await self._run(self._page_op(cursor))
            for pair in page:
                yield pair
            if cursor is None:
                return

    # -- set algebra: see redset.SortedSet for scores, costs and errors -----

    async def union(
        self,
        other: SortedSet[T] | Iterable[T],
        *,
        aggregate: Aggregate = DEFAULT_AGGREGATE,
    ) -> list[T]:
        """Return the members of either set, in score order."""
        return await self._run(self._combined_op("union", other, aggregate))

    async def intersection(
        self,
        other: SortedSet[T] | Iterable[T],
        *,
        aggregate: Aggregate = DEFAULT_AGGREGATE,
    ) -> list[T]:
        """Return the members in both sets, in score order."""
        return await self._run(self._combined_op("inter", other, aggregate))

    async def difference(self, other: SortedSet[T] | Iterable[T]) -> list[T]:
        """Return the members not in ``other``, in score order."""
        return await self._run(self._combined_op("diff", other))

    async def symmetric_difference(self, other: SortedSet[T] | Iterable[T]) -> list[T]:
        """Return the members in exactly one of the sets, in score order."""
        return await self._run(self._combined_op("xor", other))

    async def union_update(
        self,
        other: SortedSet[T] | Iterable[T],
        *,
        aggregate: Aggregate = DEFAULT_AGGREGATE,
    ) -> None:
        """Add the members of ``other`` in one atomic step."""
        await self._run(self._store_op("union", other, aggregate))

    async def intersection_update(
        self,
        other: SortedSet[T] | Iterable[T],
        *,
        aggregate: Aggregate = DEFAULT_AGGREGATE,
    ) -> None:
        """Keep only the members also in ``other``, in one atomic step."""
        await self._run(self._store_op("inter", other, aggregate))

    async def difference_update(self, other: SortedSet[T] | Iterable[T]) -> None:
        """Remove the members of ``other`` in one atomic step."""
        await self._run(self._difference_update_op(other))

    async def symmetric_difference_update(
        self, other: SortedSet[T] | Iterable[T]
    ) -> None:
        """Keep the members in exactly one of the sets, in one atomic step."""
        await self._run(self._store_op("xor", other))

    async def issubset(self, other: SortedSet[T] | Iterable[T]) -> bool:
        """Tell whether every member is also in ``other``."""
        return await self._run(self._issubset_op(other))

    async def issuperset(self, other: SortedSet[T] | Iterable[T]) -> bool:
        """Tell whether every member of ``other`` is in this set."""
        return await self._run(self._issuperset_op(other))

    async def isdisjoint(self, other: SortedSet[T] | Iterable[T]) -> bool:
        """Tell whether no member is in both sets."""
        return await self._run(self._isdisjoint_op(other))

    async def equals(self, other: SortedSet[T] | Iterable[T]) -> bool:
        """Tell whether ``other`` contains the same members as this set.

        ``other`` may be any iterable of items, as for ``issubset``. Sync
        ``==`` compares only with sets, so it is False for a list.
        """
        return await self._run(self._equals_op(other))

    async def missing(self, items: Iterable[T]) -> list[T]:
        """Return the items that are not members, as sync ``items - s`` does."""
        return await self._run(self._missing_op(items))

    # -- leases ---------------------------------------------------------------

    async def claim(
        self,
        count: int = 1,
        *,
        lease: float,
        timeout: float | None = None,
        ack: Lease[T] | Iterable[Lease[T]] | None = None,
    ) -> list[Lease[T]]:
        """Hand out up to ``count`` items, each under a lease of ``lease`` seconds.

        ``ack`` finishes leases first in the same script, as the sync claim.
        """
        return await self._run(self._claim_op(count, lease, timeout, ack))

    async def ack(self, lease: Lease[T]) -> bool:
        """Finish a lease; return False when it is no longer held."""
        return await self._run(self._ack_op(lease))

    async def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        """Finish many leases in one round trip; return how many were held."""
        return await self._run(self._ack_many_op(leases))

    async def release(
        self, lease: Lease[T], *, delay: float | timedelta | None = None
    ) -> bool:
        """Put a leased item back in the set; return False if not held."""
        return await self._run(self._release_op(lease, delay))

    async def extend(self, lease: Lease[T], seconds: float) -> bool:
        """Move the lease's deadline to ``seconds`` from now; False if not held."""
        return await self._run(self._extend_op(lease, seconds))

    @asynccontextmanager
    async def claimed(
        self, *, lease: float, timeout: float | None = None
    ) -> AsyncIterator[Lease[T]]:
        """Claim one item for ``async with``: ack on success, release on error."""
        claimed_lease = await self._run(self._claim_one_op(lease, timeout))
        try:
            yield claimed_lease
        except BaseException:
            await self.release(claimed_lease)
            raise
        await self.ack(claimed_lease)

    async def in_flight(self) -> int:
        """Count the items under a lease that has not expired."""
        return await self._run(self._in_flight_op())

    async def dead_letters(self, limit: int | None = None) -> list[DeadLetter[T]]:
        """Return up to ``limit`` dead letters, lowest score first."""
        return await self._run(self._dead_letters_op(limit))

    async def dead_letter_count(self) -> int:
        """Count the dead letters (ZCARD in a Lua script), as the sync class."""
        return await self._run(self._dead_letter_count_op())

    async def requeue_dead_letters(self, members: Iterable[bytes] | None = None) -> int:
        """Move dead letters back into the set with their scores, atomically."""
        return await self._run(self._requeue_dead_letters_op(members))

    async def purge_dead_letters(self) -> int:
        """Delete every dead letter; return how many there were."""
        return await self._run(self._purge_dead_letters_op())


class TimeSortedSet(SortedSet[T]):
    """Asyncio twin of :class:`redset.TimeSortedSet`."""

    default_update = "keep"
    time_scored = True


class ScheduledSet(SortedSet[T]):
    """Asyncio twin of :class:`redset.ScheduledSet`."""

    default_update = "less"
    due_only = True

    async def add(
        self,
        item: T,
        score: float | None = None,
        *,
        at: datetime | float | None = None,
        delay: float | timedelta | None = None,
        update: UpdatePolicy | None = None,
    ) -> bool:
        """Schedule ``item``; return True when it was not in the set."""
        return await self._run(self._schedule_op(item, score, at, delay, update))

    async def available(self) -> int:
        """Count the items a pop could hand out now: due and not in flight."""
        return await self._run(self._available_op())


class ExpiringSet(ExpiringCore[T]):
    """Asyncio twin of :class:`redset.ExpiringSet`."""

    is_async = True

    async def _run(self, operation: Operation[R]) -> R:
        result: R = await run(self.client, self._guarded(operation))
        return result

    async def add(self, item: T, ttl: float | None = None) -> bool:
        """Add ``item``; return True when it was absent or had expired."""
        return await self._run(self._expiring_add_op(item, ttl))

    async def ttl(self, item: T) -> float | None:
        """Return the seconds ``item`` has left, or None when absent or expired."""
        return await self._run(self._ttl_op(item))

    async def discard(self, item: T) -> bool:
        """Remove ``item``; return True when it was there and live."""
        return await self._run(self._expiring_discard_op(item))

    async def purge(self) -> int:
        """Remove expired members; return how many."""
        return await self._run(self._purge_op())

    async def clear(self) -> None:
        """Remove every member: one DEL in a Lua script that checks the type.

        Raises WrongTypeError, and deletes nothing, when the key is of
        another Redis type.
        """
        await self._run(self._expiring_clear_op())

    async def contains(self, item: T) -> bool:
        """Tell whether ``item`` is live, as ``in`` does for the sync class.

        A value the codec cannot encode is never a member: the result is False.
        """
        return await self._run(self._expiring_contains_op(item))

    async def count(self) -> int:
        """Count the live members, as ``len()`` does for the sync class."""
        return await self._run(self._expiring_count_op())

    async def __aiter__(self) -> AsyncIterator[T]:
        page, cursor = await self._run(self._live_page_op(None))
        while True:
            for item, _ in page:
                yield item
            if cursor is None:
                return
            page, cursor = await self._run(self._live_page_op(cursor))
