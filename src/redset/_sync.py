"""Sorted sets over a blocking redis-py style client."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, MutableSet, Set
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ._algebra import DEFAULT_AGGREGATE, Aggregate, SetAlgebra
from ._core import Cursor, UpdatePolicy
from ._expiring import ExpiringCore
from ._leases import DeadLetter, Lease
from ._protocol import Operation, Sleep
from ._typing import T

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ExpiringSet", "ScheduledSet", "SortedSet", "TimeSortedSet", "run"]

R = TypeVar("R")


def run(client: Any, operation: Operation[R]) -> R:
    """Execute an operation's requests one by one on a blocking client.

    A client exception is thrown into the operation, which may handle it.
    The loop runs once per call of every method, so it keeps to plain
    ``send`` and ``throw`` calls.
    """
    try:
        request = operation.send(None)
        while True:
            try:
                if isinstance(request, Sleep):
                    time.sleep(request.seconds)
                    reply = None
                else:
                    reply = client.execute_command(*request.args)
            except Exception as error:
                request = operation.throw(error)
                continue
            request = operation.send(reply)
    except StopIteration as stop:
        result: R = stop.value
        return result
    finally:
        # An exception that is not an Exception, such as KeyboardInterrupt,
        # is not thrown into the operation. close() still runs its finally
        # blocks, but it can send no more commands.
        operation.close()


class SortedSet(SetAlgebra[T], MutableSet[T]):
    """A Redis sorted set of ``T`` items; the lowest score comes out first.

    Members are stored as the bytes the codec produces (UTF-8 text by
    default), so two items are the same member when they encode to the same
    bytes. Items with equal scores come out in byte order of their encoding.
    Without a scorer every item scores 0. ``add`` replaces the score of an
    item that is already waiting unless ``update=`` chooses otherwise.

    The class is a ``collections.abc.MutableSet``: ``in``, ``len``,
    iteration, ``remove``, ``pop``, ``|=``, ``-=``, ``<=``, ``==`` and
    ``isdisjoint`` work as on a Python set, with two differences. ``add``
    and ``discard`` return a bool where ``set`` returns None, and ``|``,
    ``&``, ``-`` and ``^`` return a ``list`` of members in score order,
    because members may be unhashable. Combining two redset sets runs on
    the server (see ``union``). A set compares by value, so it is not
    hashable, like ``set``.

    ``claim`` takes an item out of the set while it is in flight under a
    lease. Adding it again during the lease (with ``add``, ``update`` or an
    in-place form such as ``|=``) makes it a member at once, seen by
    ``in``, ``len``, iteration and set algebra, but ``pop``, ``take``,
    ``claim``, ``peek`` and ``available`` pass over it until the lease
    ends. After an ack it waits with the score of that add. After a release
    or an expiry, the set's ``update`` policy merges that score with the
    returning one, counting the add as the newer: ``"replace"`` keeps the
    add's score, ``"keep"`` the returning one, ``"greater"`` and ``"less"``
    the greater or lesser of the two.

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

    # MutableSet.add returns None. The bool shows the caller whether this add
    # queued new work, and a caller that expects None ignores the value, so
    # the override is safe.
    def add(  # type: ignore[override]
        self, item: T, score: float | None = None, *, update: UpdatePolicy | None = None
    ) -> bool:
        """Add ``item`` and return True when it was not in the set.

        ``score`` defaults to the scorer's value; ``score=0`` is a score.
        ``update`` chooses what happens to an item that is already waiting
        (see the class docstring). One ZADD, O(log N), or on a ScheduledSet
        without ``clock=`` a short Lua script that reads the server's clock
        too. An item that is in flight becomes a member again, handed out
        after its lease ends (see the class docstring).

        Raises:
            InvalidScoreError: ``score`` is NaN.
            EncodeError: the codec cannot encode ``item``.
            WrongTypeError: the key has another Redis type.
        """
        return self._run(self._add_item_op(item, score, update))

    def update(self, items: Iterable[T], *, update: UpdatePolicy | None = None) -> int:
        """Add many items scored by the scorer; return how many were new.

        One ZADD for the whole batch, O(M log N) for M items, or on a
        ScheduledSet without ``clock=`` a Lua script that reads the server's
        clock too. Items are encoded first, so nothing is written when one
        of them cannot be encoded. ``items`` may be another
        redset set: then this is ``union_update(items)``, one ZUNIONSTORE in
        a Lua script on the server with ``aggregate="min"``.

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

        One ZADD for the whole batch, as ``update`` sends. When an item
        appears twice, the pairs apply in order, as ZADD applies them.
        """
        return self._run(self._add_scored_op(pairs, update))

    def pop(self, *, timeout: float | None = None) -> T:
        """Remove and return the item with the lowest score.

        Without ``timeout``, a short Lua script pops with ZPOPMIN, O(log N),
        when nothing is in flight and no item has a delivery count.
        Otherwise the full lease script runs after it: it returns expired
        leases to the set, then removes the first item that is not in flight
        (ZRANGE and ZREM). That is a second round trip, so for one second
        afterwards the pops of this set in this process go straight to the
        full script. With ``timeout`` (seconds; ``math.inf`` waits forever), an
        empty set is waited on with BZPOPMIN between runs of the scripts.
        Because
        BZPOPMIN cannot run inside a script, a second script then checks
        the item it took and puts it back if it is in flight. A set with
        items in flight, and a ScheduledSet, poll the script instead. A
        member that does not decode goes to dead letters, and the wait goes
        on for the next one.

        Raises:
            EmptyError: no item arrived in time. It is a KeyError.
        """
        return self._run(self._pop_op(timeout))

    def take(self, count: int, *, timeout: float | None = None) -> list[T]:
        """Remove and return up to ``count`` items, lowest scores first.

        The Lua scripts that ``pop`` runs, O(M log N) for M items. With
        ``timeout``, an empty set is waited on for up to that many seconds,
        and whatever is there when the first item arrives is returned.
        Members that do not decode go to dead letters and are not replaced,
        so the list can be shorter than ``count`` while items wait: a take
        that fetched replacements would hold items that a KeyboardInterrupt
        could lose. When every member removed went to dead letters, the take
        tries again in the time left. ``take(0)`` returns ``[]`` without a
        command.

        Raises:
            InvalidValueError: ``count`` is negative.
        """
        return self._run(self._take_op(count, timeout))

    def peek(self, position: int = 0) -> T:
        """Return the item at ``position`` in score order without removing it.

        The order is the one ``pop`` hands items out in, so items in flight
        are passed over.

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
        """Remove every item, waiting or in flight; dead letters stay.

        One DEL of the set's key and its lease records, so acks and
        releases of leases held now return False.
        """
        self._run(self._clear_op())

    def __len__(self) -> int:
        """Count the members, after returning expired leases to the set.

        A Lua script, not a bare ZCARD, so an item whose lease expired is
        counted. With ``max_attempts``, such an item that used up its
        deliveries moves to dead letters instead. An item in flight is
        counted only if it was added again during its lease; ``in_flight``
        counts the leases. ``list()`` and ``sorted()`` call this first for a
        size hint, where iteration alone returns no lease.
        """
        return self._run(self._len_op())

    def __contains__(self, item: object) -> bool:
        """Tell whether ``item`` is waiting in the set (ZSCORE, O(1)).

        An item in flight under a lease is a member only if it was added
        again during the lease. A value the codec
        cannot encode is never a member, so the result is False, as for a
        Python set and a value of another type.
        """
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

        Atomic: for plain items, one Lua script that runs ZREM, O(M log N).
        For a redset set, one ZDIFFSTORE into this set's key in a Lua
        script, O(N + M). A lease on a removed item stays valid, as after
        ``discard``.
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

    # -- leases ---------------------------------------------------------------

    def claim(
        self,
        count: int = 1,
        *,
        lease: float,
        timeout: float | None = None,
        ack: Lease[T] | Iterable[Lease[T]] | None = None,
    ) -> list[Lease[T]]:
        """Hand out up to ``count`` items, each under a lease of ``lease`` seconds.

        The items leave the set for its in-flight record until ``ack``. An
        item not acked by its deadline returns to the set, with its score,
        and is handed out again. With ``timeout``, poll until an item is
        there or the time is up (at most 50 ms between polls). One Lua
        script per poll, O(count * log N) plus the expired leases it returns.
        Members that do not decode go to dead letters, with a WARNING, and
        the next items are claimed in their place, as ``pop`` does.

        ``ack`` finishes a lease or leases first, in the same script, so a
        worker loop makes one round trip per item: ``leases =
        s.claim(lease=30, ack=leases)``. A lease that is no longer held is
        skipped, as ``ack`` skips it, and logged as a WARNING, because this
        call returns leases and not the ack count.

        Raises:
            InvalidValueError: ``count`` is negative or ``lease`` is not a
                finite number of seconds of at least 0.001.
            InvalidTypeError: ``ack`` holds something other than a Lease.
        """
        return self._run(self._claim_op(count, lease, timeout, ack))

    def ack(self, lease: Lease[T]) -> bool:
        """Finish a lease: the item is done and leaves the in-flight record.

        Returns False, changing nothing, when the lease expired or is not
        this claim's any more. An item added again while it was in flight
        is handed out from now on. One Lua script, O(log N).
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

        One Lua script, so the list is read at one moment: it returns
        expired leases to the set, then reads the dead letters with ZRANGE
        and the info of each one with HGET, O(log N + M).
        """
        return self._run(self._dead_letters_op(limit))

    def dead_letter_count(self) -> int:
        """Count the dead letters (ZCARD in a Lua script).

        The script first returns expired leases to the set, which may move
        items that used up ``max_attempts`` to the dead letters.
        """
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
    items whose due time (a Unix timestamp) has come. ``len``, ``in``,
    iteration, comparisons and set algebra see every item, due or not.
    "Now" is the Redis server's clock, read inside the Lua script that
    checks and removes due items, so clients with skewed clocks agree. Pass
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
        of them, the item is due now (or at the scorer's value). Without
        ``clock=``, "now" is the server's time, read in a short Lua script
        that adds the item, so a delay is added to it there too.
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
        """Count the items a pop could hand out now: due and not in flight.

        ZCOUNT in a Lua script, plus one ZMSCORE per 1,000 leases when
        items are in flight.
        """
        return self._run(self._available_op())


class ExpiringSet(ExpiringCore[T]):
    """A set whose members each expire ``ttl`` seconds after their last add.

    Stored as a Redis sorted set of member -> expiry time, so ``in``,
    ``len``, iteration and ``ttl`` see only members whose expiry time is
    later than now. "Now" is the Redis server clock, read inside each Lua
    script, unless ``clock=`` is given. Expired members stay in Redis until
    ``purge`` removes them, which frees memory but changes no result.

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
        """Remove every member: one DEL in a Lua script that checks the type.

        Raises WrongTypeError, and deletes nothing, when the key is of
        another Redis type.
        """
        self._run(self._expiring_clear_op())

    def __contains__(self, item: object) -> bool:
        """Tell whether ``item`` is live (ZSCORE in a Lua script).

        A value the codec cannot encode is never a member, so the result is
        False.
        """
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
