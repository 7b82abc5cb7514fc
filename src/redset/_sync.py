"""Sorted sets over a blocking redis-py style client."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ._core import Cursor, SetCore, UpdatePolicy
from ._expiring import ExpiringCore
from ._leases import DeadLetter, Lease
from ._protocol import Command, Operation, Sleep
from ._typing import T

__all__ = ["ExpiringSet", "ScheduledSet", "SortedSet", "TimeSortedSet", "run"]

R = TypeVar("R")


def run(client: Any, operation: Operation[R]) -> R:
    """Execute an operation's requests one by one on a blocking client."""
    try:
        request = next(operation)
        while True:
            try:
                if isinstance(request, Command):
                    reply = client.execute_command(*request.args)
                else:
                    assert isinstance(request, Sleep)
                    time.sleep(request.seconds)
                    reply = None
            except Exception as error:
                request = operation.throw(error)
            else:
                request = operation.send(reply)
    except StopIteration as stop:
        result: R = stop.value
        return result


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
        clock: returns the current Unix time for time-based scores and for
            lease deadlines; without it, leases use the Redis server clock.
        max_attempts: deliveries by ``claim`` after which an item that was
            never acked goes to dead letters; None for no limit.

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
        if score is None:
            pairs, relative = self._default_scores([item])
        else:
            pairs, relative = self._explicit_pairs([(item, score)]), False
        return self._run(self._add_op(pairs, update, relative=relative)) == 1

    def update(self, items: Iterable[T], *, update: UpdatePolicy | None = None) -> int:
        """Add many items scored by the scorer; return how many were new.

        One ZADD for the whole batch. Items are encoded first, so nothing is
        written when one of them cannot be encoded.
        """
        pairs, relative = self._default_scores(items)
        return self._run(self._add_op(pairs, update, relative=relative))

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
        return self._run(self._add_op(self._explicit_pairs(pairs), update))

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
        """Remove every item, waiting or in flight; dead letters stay.

        One DEL of the set's key and its lease records, so acks and
        releases of leases held now return False.
        """
        self._run(self._clear_op())

    def __len__(self) -> int:
        """Count the waiting items, after returning expired leases to the set.

        A Lua script, not a bare ZCARD, so an item whose lease expired is
        counted. Items in flight are not counted; see ``in_flight``.
        """
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

    # -- leases ---------------------------------------------------------------

    def claim(
        self, count: int = 1, *, lease: float, timeout: float | None = None
    ) -> list[Lease[T]]:
        """Hand out up to ``count`` items, each under a lease of ``lease`` seconds.

        The items leave the set for its in-flight record until ``ack``. An
        item not acked by its deadline returns to the set, with its score,
        and is handed out again. With ``timeout``, poll until an item is
        there or the time is up (at most 50 ms between polls). One Lua
        script per poll, O(count * log N) plus the expired leases it returns.

        Raises:
            InvalidValueError: ``count`` is negative or ``lease`` is not a
                positive number of seconds.
        """
        return self._run(self._claim_op(count, lease, timeout))

    def ack(self, lease: Lease[T]) -> bool:
        """Finish a lease: the item is done and leaves the in-flight record.

        Returns False, changing nothing, when the lease expired or is not
        this claim's any more. An add of the item made while it was in
        flight puts it back in the set now. One Lua script, O(log N).
        """
        return self._run(self._ack_op(lease))

    def ack_many(self, leases: Iterable[Lease[T]]) -> int:
        """Finish many leases in one round trip; return how many were held."""
        return self._run(self._ack_many_op(leases))

    def release(
        self, lease: Lease[T], *, delay: float | timedelta | None = None
    ) -> bool:
        """Put a leased item back in the set now; return False if not held.

        The item keeps the score it had when claimed. ``delay`` (seconds or
        a timedelta) is only for a ScheduledSet, where it makes the item due
        that long after now. A release counts as a failed delivery, so with
        ``max_attempts`` the item may go to dead letters instead.

        Raises:
            InvalidValueError: ``delay`` was given to a set that is not a
                ScheduledSet.
        """
        return self._run(self._release_op(lease, delay))

    def extend(self, lease: Lease[T], seconds: float) -> bool:
        """Move the lease's deadline to ``seconds`` from now; False if not held.

        ``lease.deadline`` keeps the deadline from the claim: the new one is
        on the server only.
        """
        return self._run(self._extend_op(lease, seconds))

    @contextmanager
    def claimed(
        self, *, lease: float, timeout: float | None = None
    ) -> Iterator[Lease[T]]:
        """Claim one item for a ``with`` block: ack on success, release on error.

        Raises:
            EmptyError: no item could be claimed within ``timeout``.
        """
        claimed_lease = self._run(self._claim_one_op(lease, timeout))
        try:
            yield claimed_lease
        except BaseException:
            self.release(claimed_lease)
            raise
        self.ack(claimed_lease)

    def in_flight(self) -> int:
        """Count the items under a lease that has not expired."""
        return self._run(self._in_flight_op())

    def dead_letters(self, limit: int | None = None) -> list[DeadLetter[T]]:
        """Return up to ``limit`` dead letters, lowest score first.

        Two commands (ZRANGE, HMGET), so a dead letter moved in between may
        show attempts 0.
        """
        return self._run(self._dead_letters_op(limit))

    def dead_letter_count(self) -> int:
        """Count the dead letters (ZCARD)."""
        return self._run(self._dead_letter_count_op())

    def requeue_dead_letters(self, members: Iterable[bytes] | None = None) -> int:
        """Move dead letters back into the set with their scores, atomically.

        ``members`` are ``DeadLetter.member`` values; None moves them all.
        The items start with a delivery count of 0. Returns how many moved.
        """
        return self._run(self._requeue_dead_letters_op(members))

    def purge_dead_letters(self) -> int:
        """Delete every dead letter; return how many there were."""
        return self._run(self._purge_dead_letters_op())


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
        pairs, relative = self._scheduled_pair(item, score, at, delay)
        return self._run(self._add_op(pairs, update, relative=relative)) == 1

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


class ExpiringSet(ExpiringCore[T]):
    """A set whose members each expire ``ttl`` seconds after their last add.

    Stored as a Redis sorted set of member -> expiry time, so ``in``,
    ``len``, iteration and ``ttl`` see only members whose expiry time is
    later than now. "Now" is the Redis server clock, read inside each Lua
    script, unless ``clock=`` is given. Expired members stay in Redis until
    ``purge`` removes them, which frees memory but changes no answer.

    Args:
        client: a redis-py style client without ``decode_responses=True``.
        name: the Redis key of the set.
        ttl: the default lifetime of a member, in seconds.
        codec: a :class:`~redset.codecs.Codec` for the members.
        serializer: a 0.5-style object with ``dumps``/``loads``.
        clock: returns the current Unix time; without it, the server's.
    """

    def _run(self, operation: Operation[R]) -> R:
        result: R = run(self.client, self._guarded(operation))
        return result

    def add(self, item: T, ttl: float | None = None) -> bool:
        """Add ``item`` to expire ``ttl`` seconds from now (default: the set's).

        Returns True when the item was absent or had expired, so among many
        processes adding the same item at once exactly one gets True. A live
        item's expiry is moved to the new time. One Lua script, O(log N).
        """
        return self._run(self._expiring_add_op(item, ttl))

    def ttl(self, item: T) -> float | None:
        """Return the seconds ``item`` has left, or None when absent or expired."""
        return self._run(self._ttl_op(item))

    def discard(self, item: T) -> bool:
        """Remove ``item``; return True when it was there and live."""
        return self._run(self._expiring_discard_op(item))

    def purge(self) -> int:
        """Remove expired members (ZREMRANGEBYSCORE); return how many."""
        return self._run(self._purge_op())

    def clear(self) -> None:
        """Remove every member (DEL)."""
        self._run(self._expiring_clear_op())

    def __contains__(self, item: object) -> bool:
        return self._run(self._expiring_contains_op(item))  # type: ignore[arg-type]  # any value may be tested

    def __len__(self) -> int:
        """Count the live members (ZCOUNT in a Lua script)."""
        return self._run(self._expiring_count_op())

    def __iter__(self) -> Iterator[T]:
        """Iterate over live members, soonest expiry first, page by page."""
        page, cursor = self._run(self._live_page_op(None))
        while True:
            for item, _ in page:
                yield item
            if cursor is None:
                return
            page, cursor = self._run(self._live_page_op(cursor))
