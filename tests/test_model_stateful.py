"""Stateful tests: each set class, sync and async, against the pure-Python model.

Hypothesis drives a real set on the session's Redis server and a ``ModelSet``
side by side, compares every return value, and compares the full contents
after every step. Each run of a machine uses a fresh key and deletes it in
teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any, ClassVar, Literal, TypeVar

import pytest
import redis
import redis.asyncio
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import redset
import redset._core
import redset.asyncio
from clocks import FakeClock
from model import KINDS, ModelSet, Observation, SetKind, UpdatePolicy
from redset import (
    BytesCodec,
    DecodeError,
    EmptyError,
    InvalidScoreError,
    InvalidValueError,
    MemberNotFoundError,
    TextCodec,
)
from redset._leases import lease_keys
from strategies import (
    CLOCK_START,
    MAX_POOL,
    ItemPool,
    clock_steps,
    delays,
    due_times,
    item_indexes,
    item_pools,
    scorer_choices,
    scores,
    stateful_settings,
    update_policies,
)

ClientKind = Literal["sync", "async"]
R = TypeVar("R")

# Members that are not valid UTF-8: a lone continuation byte, 0xff, a
# truncated two-byte sequence, and an encoded surrogate.
NOT_UTF8 = [b"\x80", b"\xff", b"a\xc3", b"\xed\xa0\x80"]

# A timeout that makes pop and take use their waiting path: BZPOPMIN, or
# polling in a ScheduledSet.
SHORT_TIMEOUT = 0.001


class SyncDriver:
    """Calls the blocking set classes on a ``redis.Redis`` client."""

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(redis_url)
        self.set: Any = None

    def open(self, kind: SetKind, key: str, **options: Any) -> None:
        self.set = getattr(redset, kind)(self.client, key, **options)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.set, method)(*args, **kwargs)

    def length(self) -> int:
        return len(self.set)

    def contains(self, item: Any) -> bool:
        return item in self.set

    def iterate(self) -> list[Any]:
        return list(self.set)

    def items(self) -> list[tuple[Any, float]]:
        return list(self.set.items())

    def close(self) -> None:
        self.client.close()


class AsyncDriver:
    """Calls the asyncio set classes, each call run to completion on one loop.

    The loop lives as long as the machine, so the client's connections stay
    bound to the loop that opened them.
    """

    def __init__(self, redis_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = redis.asyncio.Redis.from_url(redis_url)
        self.set: Any = None

    def _wait(self, awaitable: Awaitable[R]) -> R:
        return self.loop.run_until_complete(awaitable)

    def open(self, kind: SetKind, key: str, **options: Any) -> None:
        self.set = getattr(redset.asyncio, kind)(self.client, key, **options)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._wait(getattr(self.set, method)(*args, **kwargs))

    def length(self) -> int:
        count: int = self._wait(self.set.count())
        return count

    def contains(self, item: Any) -> bool:
        found: bool = self._wait(self.set.contains(item))
        return found

    def iterate(self) -> list[Any]:
        return self._wait(_collect(self.set))

    def items(self) -> list[tuple[Any, float]]:
        return self._wait(_collect(self.set.items()))

    def close(self) -> None:
        try:
            self._wait(self.client.aclose())
        finally:
            self.loop.close()


async def _collect(iterable: AsyncIterable[R]) -> list[R]:
    return [value async for value in iterable]


Driver = SyncDriver | AsyncDriver


class SortedSetMachine(RuleBasedStateMachine):
    """Rules every set class shares; subclasses add clock and due-time rules."""

    kind: ClassVar[SetKind] = "SortedSet"

    def __init__(self, redis_url: str, client_kind: ClientKind) -> None:
        super().__init__()
        self.key = f"redset-test:stateful:{uuid.uuid4().hex}"
        # The set names its dead-letter key once it exists; see create().
        self.dead_key = self.key
        self.clock = FakeClock(CLOCK_START)
        self.raw = redis.Redis.from_url(redis_url)
        self.driver: Driver = (
            SyncDriver(redis_url) if client_kind == "sync" else AsyncDriver(redis_url)
        )

    def teardown(self) -> None:
        try:
            self.driver.close()
        finally:
            # Every key of the set, lease records and dead-letter details too.
            self.raw.delete(*lease_keys(self.key))
            self.raw.close()

    @initialize(
        pool=item_pools(),
        scorer=scorer_choices(),
        update=update_policies(),
        page_size=st.sampled_from([1, 2, 3, 1000]),
    )
    def create(
        self,
        pool: ItemPool,
        scorer: Callable[[bytes], float] | None,
        update: UpdatePolicy | None,
        page_size: int,
    ) -> None:
        # Small pages make the few members of a run cross page borders inside
        # runs of tied scores. The test restores the module constant.
        redset._core.PAGE_SIZE = page_size
        self.pool = pool
        self.model = ModelSet(
            self.kind, self.clock, update=update, scorer=scorer, decodes=pool.decodes
        )
        options: dict[str, Any] = {
            "codec": TextCodec() if pool.codec == "text" else BytesCodec(),
            "clock": self.clock,
        }
        if update is not None:
            options["update"] = update
        if scorer is not None:
            options["scorer"] = lambda item: scorer(pool.encode(item))
        self.driver.open(self.kind, self.key, **options)
        self.dead_key = self.driver.set.dead_letter_key

    # -- adding -------------------------------------------------------------

    @rule(
        index=item_indexes(),
        score=st.none() | scores(),
        update=update_policies(),
    )
    def add(
        self, index: int, score: float | Fraction | None, update: UpdatePolicy | None
    ) -> None:
        item = self.pool.item(index)
        member = self.pool.encode(item)
        if score is None:
            pairs = self.model.default_pairs([member])
        else:
            pairs = [(member, float(score))]
        expected = self.model.add(pairs, update) == 1
        assert self.driver.call("add", item, score, update=update) is expected

    @rule(indexes=st.lists(item_indexes(), max_size=8), update=update_policies())
    def update_items(self, indexes: list[int], update: UpdatePolicy | None) -> None:
        items = [self.pool.item(index) for index in indexes]
        pairs = self.model.default_pairs(self.pool.encode(item) for item in items)
        expected = self.model.add(pairs, update)
        assert self.driver.call("update", items, update=update) == expected

    @rule(
        entries=st.lists(st.tuples(item_indexes(), scores()), max_size=8),
        update=update_policies(),
    )
    def add_scored(
        self, entries: list[tuple[int, float | Fraction]], update: UpdatePolicy | None
    ) -> None:
        pairs = [(self.pool.item(index), score) for index, score in entries]
        expected = self.model.add(
            [(self.pool.encode(item), float(score)) for item, score in pairs], update
        )
        assert self.driver.call("add_scored", pairs, update=update) == expected

    # -- removing -----------------------------------------------------------

    def waits_briefly(self) -> bool:
        """Tell whether pop or take with a timeout returns within milliseconds.

        On an empty set, BZPOPMIN waits for the server's timer tick (100 ms at
        Redis's default hz of 10) however short the timeout, so the waiting
        rules run on SortedSet and TimeSortedSet only while an item is
        waiting. A ScheduledSet waits by sleeping in the client.
        """
        if self.kind == "ScheduledSet":
            return True
        return any(self.pool.decodes(member) for member, _ in self.model.visible())

    def check_pop(self, timeout: float | None) -> None:
        popped = self.model.pop()
        if popped is None:
            with pytest.raises(EmptyError):
                self.driver.call("pop", timeout=timeout)
            return
        assert self.driver.call("pop", timeout=timeout) == self.pool.decode(popped[0])

    def check_take(self, count: int, timeout: float | None) -> None:
        expected = [self.pool.decode(member) for member, _ in self.model.take(count)]
        assert self.driver.call("take", count, timeout=timeout) == expected

    @rule()
    def pop(self) -> None:
        self.check_pop(None)

    @precondition(waits_briefly)
    @rule()
    def pop_with_timeout(self) -> None:
        self.check_pop(SHORT_TIMEOUT)

    @rule(count=st.integers(0, MAX_POOL + 2))
    def take(self, count: int) -> None:
        self.check_take(count, None)

    @precondition(waits_briefly)
    @rule(count=st.integers(0, MAX_POOL + 2))
    def take_with_timeout(self, count: int) -> None:
        self.check_take(count, SHORT_TIMEOUT)

    @rule(index=item_indexes())
    def discard(self, index: int) -> None:
        item = self.pool.item(index)
        expected = self.model.discard(self.pool.encode(item))
        assert self.driver.call("discard", item) is expected

    @rule(index=item_indexes())
    def remove(self, index: int) -> None:
        item = self.pool.item(index)
        if self.model.discard(self.pool.encode(item)):
            assert self.driver.call("remove", item) is None
            return
        with pytest.raises(MemberNotFoundError) as caught:
            self.driver.call("remove", item)
        assert caught.value.item == item
        assert caught.value.key == self.key

    @rule()
    def clear(self) -> None:
        self.model.clear()
        assert self.driver.call("clear") is None

    # -- reading ------------------------------------------------------------

    @rule(position=st.integers(0, MAX_POOL))
    def peek(self, position: int) -> None:
        pair = self.model.peek(position)
        if pair is None:
            with pytest.raises(EmptyError):
                self.driver.call("peek", position)
            return
        if not self.pool.decodes(pair[0]):
            with pytest.raises(DecodeError) as caught:
                self.driver.call("peek", position)
            assert caught.value.raw == pair[0]
            return
        assert self.driver.call("peek", position) == self.pool.decode(pair[0])

    @rule()
    def peek_score(self) -> None:
        pair = self.model.peek(0)
        expected = None if pair is None else pair[1]
        assert self.driver.call("peek_score") == expected

    @rule(index=item_indexes())
    def score(self, index: int) -> None:
        item = self.pool.item(index)
        assert self.driver.call("score", item) == self.model.score(
            self.pool.encode(item)
        )

    @rule(index=item_indexes())
    def contains(self, index: int) -> None:
        item = self.pool.item(index)
        expected = self.model.score(self.pool.encode(item)) is not None
        assert self.driver.contains(item) is expected

    @precondition(lambda self: self.pool.codec == "text")
    @rule(member=st.sampled_from(NOT_UTF8), score=scores())
    def write_undecodable(self, member: bytes, score: float | Fraction) -> None:
        """Write a member that TextCodec cannot decode, as another program might."""
        self.model.add([(member, float(score))], "replace")
        self.raw.zadd(self.key, {member: float(score)})

    # -- bad input ----------------------------------------------------------

    @rule(index=item_indexes(), case=st.integers(0, 5))
    def reject_bad_input(self, index: int, case: int) -> None:
        """Check that bad arguments raise before anything is written.

        The invariant then checks that the contents did not change.
        """
        item = self.pool.item(index)
        if case == 0:
            with pytest.raises(InvalidScoreError):
                self.driver.call("add", item, math.nan)
        elif case == 1:
            with pytest.raises(InvalidScoreError):
                self.driver.call("add_scored", [(item, 1.0), (item, math.nan)])
        elif case == 2:
            with pytest.raises(InvalidScoreError):
                self.driver.call("add", item, 10**400)
        elif case == 3:
            with pytest.raises(InvalidValueError):
                self.driver.call("add_scored", [(item, 1.0)], update="sometimes")
        elif case == 4:
            with pytest.raises(InvalidValueError):
                self.driver.call("take", -1)
        else:
            with pytest.raises(InvalidValueError):
                self.driver.call("peek", -1)

    # -- invariants ---------------------------------------------------------

    def read_raw(self, key: str) -> list[tuple[bytes, float]]:
        # redis-py types zrange as sync-or-async; this client is sync.
        reply: Any = self.raw.zrange(key, 0, -1, withscores=True)
        return [(bytes(member), float(score)) for member, score in reply]

    def observe(self) -> Observation:
        encode = self.pool.encode
        items: list[tuple[bytes, float]] | None = None
        iterated: list[bytes] | None = None
        with contextlib.suppress(DecodeError):
            items = [(encode(item), score) for item, score in self.driver.items()]
        with contextlib.suppress(DecodeError):
            iterated = [encode(item) for item in self.driver.iterate()]
        return Observation(
            raw=self.read_raw(self.key),
            dead=self.read_raw(self.dead_key),
            items=items,
            iterated=iterated,
            length=self.driver.length(),
            available=(
                self.driver.call("available") if self.kind == "ScheduledSet" else None
            ),
        )

    @invariant()
    def contents_match_model(self) -> None:
        self.model.check(self.observe())


class TimeSortedSetMachine(SortedSetMachine):
    kind: ClassVar[SetKind] = "TimeSortedSet"

    @rule(seconds=clock_steps())
    def move_clock(self, seconds: float) -> None:
        self.clock.now += seconds


class ScheduledSetMachine(TimeSortedSetMachine):
    kind: ClassVar[SetKind] = "ScheduledSet"

    @rule(index=item_indexes(), at=due_times(), update=update_policies())
    def add_at(
        self, index: int, at: datetime | float, update: UpdatePolicy | None
    ) -> None:
        item = self.pool.item(index)
        due = at.timestamp() if isinstance(at, datetime) else float(at)
        expected = self.model.add([(self.pool.encode(item), due)], update) == 1
        assert self.driver.call("add", item, at=at, update=update) is expected

    @rule(index=item_indexes(), delay=delays(), update=update_policies())
    def add_after_delay(
        self, index: int, delay: timedelta | float, update: UpdatePolicy | None
    ) -> None:
        item = self.pool.item(index)
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else delay
        due = self.clock.now + seconds
        expected = self.model.add([(self.pool.encode(item), due)], update) == 1
        assert self.driver.call("add", item, delay=delay, update=update) is expected

    @rule(index=item_indexes(), case=st.integers(0, 2))
    def reject_bad_schedule(self, index: int, case: int) -> None:
        item = self.pool.item(index)
        if case == 0:
            with pytest.raises(InvalidValueError, match="at most one"):
                self.driver.call("add", item, at=CLOCK_START, delay=1.0)
        elif case == 1:
            with pytest.raises(InvalidValueError):
                self.driver.call("add", item, delay=math.inf)
        else:
            with pytest.raises(InvalidValueError, match="naive"):
                self.driver.call("add", item, at=datetime(2030, 1, 1))


MACHINES: dict[SetKind, type[SortedSetMachine]] = {
    "SortedSet": SortedSetMachine,
    "TimeSortedSet": TimeSortedSetMachine,
    "ScheduledSet": ScheduledSetMachine,
}


@pytest.mark.parametrize("client_kind", ["sync", "async"])
@pytest.mark.parametrize("kind", KINDS)
def test_set_matches_model(
    redis_url: str,
    kind: SetKind,
    client_kind: ClientKind,
    monkeypatch: pytest.MonkeyPatch,
) -> None:

    class Machine(MACHINES[kind]):  # type: ignore[misc,valid-type]  # chosen per test
        def __init__(self) -> None:
            super().__init__(redis_url, client_kind)

    # Each machine sets its own page size; this puts the constant back after.
    monkeypatch.setattr(redset._core, "PAGE_SIZE", redset._core.PAGE_SIZE)
    run_state_machine_as_test(Machine, settings=stateful_settings())
