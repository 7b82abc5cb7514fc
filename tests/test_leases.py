"""Leases, dead letters and their effect on the other operations."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio

import redset.asyncio
from clocks import FakeClock
from redset import (
    BytesCodec,
    DeadLetter,
    EmptyError,
    InvalidTypeError,
    InvalidValueError,
    Lease,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
    WrongTypeError,
)
from redset._leases import POP, SETTLE_BLOCKING_POP


def test_claim_moves_items_in_flight(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2), ("c", 3)])
    leases = s.claim(2, lease=30)
    assert [lease.item for lease in leases] == ["a", "b"]
    assert [lease.member for lease in leases] == [b"a", b"b"]
    assert all(lease.attempts == 1 for lease in leases)
    assert leases[0].token != leases[1].token
    assert len(s) == 1
    assert s.in_flight() == 2
    assert "a" not in s
    assert s.pop() == "c"


def test_lease_deadline_uses_server_clock(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    seconds, microseconds = r.time()
    [lease] = s.claim(lease=10)
    assert abs(lease.deadline - (seconds + microseconds / 1e6 + 10)) < 1


def test_ack_finishes_lease_once(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    [lease] = s.claim(lease=30)
    assert s.ack(lease) is True
    assert s.ack(lease) is False
    assert s.in_flight() == 0
    assert len(s) == 0


def test_ack_many_counts_held_leases(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b", "c"])
    leases = s.claim(3, lease=30)
    assert s.ack(leases[0])
    assert s.ack_many(leases + leases) == 2
    assert s.ack_many([]) == 0
    assert s.in_flight() == 0


def test_claim_with_ack_finishes_first(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2), ("c", 3)])
    [first] = s.claim(lease=30)
    [second] = s.claim(lease=30, ack=first)
    assert second.item == "b"
    assert s.in_flight() == 1
    assert s.ack(first) is False
    more = s.claim(5, lease=30, ack=[second])
    assert [lease.item for lease in more] == ["c"]
    assert s.claim(lease=30, ack=more) == []
    assert s.in_flight() == 0
    assert len(s) == 0


def test_claim_with_ack_hands_out_readded_item(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 1)
    [lease] = s.claim(lease=30)
    s.add("job", 5)
    [again] = s.claim(lease=30, ack=lease)
    assert again.item == "job"
    assert again.attempts == 1
    assert again.token != lease.token


def test_claim_zero_with_ack_only_acks(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b"])
    leases = s.claim(2, lease=30)
    assert s.claim(0, lease=30, ack=leases) == []
    assert s.in_flight() == 0
    assert len(s) == 0


def test_claim_with_stale_ack_logs_warning(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock)
    s.update(["a", "b"])
    [stale] = s.claim(lease=1)
    clock.now += 2
    with caplog.at_level(logging.WARNING, logger="redset"):
        [lease] = s.claim(lease=30, ack=stale)
    # The expired lease's item came back first, so it is claimed again.
    assert lease.item == "a"
    assert lease.attempts == 2
    assert "finished 0 of 1 leases" in caplog.text


def test_claim_with_ack_waits_after_acking(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("only")
    [lease] = s.claim(lease=30)
    started = time.monotonic()
    assert s.claim(lease=30, timeout=0.2, ack=lease) == []
    assert time.monotonic() - started >= 0.2
    assert s.in_flight() == 0


def test_claim_rejects_bad_ack(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    for bad in ("a", b"a", 3, ["a"]):
        with pytest.raises(InvalidTypeError):
            s.claim(lease=30, ack=bad)  # type: ignore[arg-type]  # the wrong type on purpose
    assert len(s) == 1
    assert s.in_flight() == 0


def test_large_batches_claim_and_ack(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    items = [f"item-{n:05d}" for n in range(2600)]
    s.update(items)
    leases = s.claim(2600, lease=30)
    assert [lease.item for lease in leases] == items
    assert len({lease.token for lease in leases}) == 2600
    assert s.in_flight() == 2600
    assert s.ack_many(leases) == 2600
    assert s.in_flight() == 0
    assert len(s) == 0


def test_expired_lease_returns_item(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = TimeSortedSet(r, key, clock=clock)
    s.update(["first", "second"])
    [lease] = s.claim(lease=5)
    assert lease.deadline == clock.now + 5
    clock.now += 5
    assert len(s) == 2
    assert s.in_flight() == 0
    assert s.peek() == "first"
    [again] = s.claim(lease=5)
    assert again.item == "first"
    assert again.attempts == 2


def test_stale_token_cannot_touch_new_claim(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    consumer_a = SortedSet(r, key, clock=clock)
    consumer_b = SortedSet(r, key, clock=clock)
    consumer_a.add("job")
    [lease_a] = consumer_a.claim(lease=1)
    clock.now += 2
    [lease_b] = consumer_b.claim(lease=10)
    assert lease_b.item == "job"
    assert lease_b.token != lease_a.token
    assert consumer_a.ack(lease_a) is False
    assert consumer_a.release(lease_a) is False
    assert consumer_a.extend(lease_a, 60) is False
    assert consumer_a.in_flight() == 1
    assert len(consumer_a) == 0
    assert consumer_b.ack(lease_b) is True
    assert consumer_b.in_flight() == 0


def test_stale_token_with_server_clock(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    [lease_a] = s.claim(lease=0.05)
    time.sleep(0.1)
    [lease_b] = s.claim(lease=10)
    assert s.ack(lease_a) is False
    assert s.release(lease_a) is False
    assert s.extend(lease_a, 10) is False
    assert s.ack(lease_b) is True


def test_expired_lease_cannot_be_acked(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock)
    s.add("job")
    [lease] = s.claim(lease=1)
    clock.now += 1
    assert s.ack(lease) is False
    assert len(s) == 1


def test_extend_moves_deadline_from_now(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock)
    s.add("job")
    [lease] = s.claim(lease=10)
    clock.now += 8
    assert s.extend(lease, 10) is True
    clock.now += 9
    assert s.in_flight() == 1
    assert s.ack(lease) is True


def test_release_puts_item_back_with_score(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2)])
    [lease] = s.claim(lease=30)
    assert s.release(lease) is True
    assert s.release(lease) is False
    assert s.score("a") == 1.0
    [again] = s.claim(lease=30)
    assert again.item == "a"
    assert again.attempts == 2


@pytest.mark.parametrize("cls", [SortedSet, TimeSortedSet])
def test_release_delay_needs_scheduled_set(
    r: redis.Redis, key: str, cls: type[SortedSet[str]]
) -> None:
    s = cls(r, key)
    s.add("a")
    [lease] = s.claim(lease=30)
    with pytest.raises(InvalidValueError, match="ScheduledSet") as caught:
        s.release(lease, delay=5)
    assert f"A {cls.__name__} orders by score" in str(caught.value)
    assert s.in_flight() == 1


def test_scheduled_release_delay_sets_due_time(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = ScheduledSet(r, key, clock=clock)
    s.add("a", delay=0)
    [lease] = s.claim(lease=30)
    assert s.release(lease, delay=60) is True
    assert s.score("a") == clock.now + 60
    assert s.available() == 0
    assert s.claim(lease=30) == []
    clock.now += 60
    assert [lease.item for lease in s.claim(lease=30)] == ["a"]


def test_scheduled_claim_takes_only_due_items(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = ScheduledSet(r, key, clock=clock)
    s.add("now")
    s.add("later", delay=10)
    assert [lease.item for lease in s.claim(5, lease=30)] == ["now"]
    assert s.claim(5, lease=30) == []
    clock.now += 10
    assert [lease.item for lease in s.claim(5, lease=30)] == ["later"]


def test_readd_in_flight_waits_for_ack(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 1)
    [lease] = s.claim(lease=30)
    assert s.add("job", 5) is True
    assert s.add("job", 7) is False
    # The item is a member again, but is not handed out during the lease.
    assert len(s) == 1
    assert "job" in s
    assert s.claim(lease=30) == []
    with pytest.raises(EmptyError):
        s.pop()
    with pytest.raises(EmptyError):
        s.peek()
    assert s.ack(lease) is True
    assert s.score("job") == 7.0
    [again] = s.claim(lease=30)
    assert again.attempts == 1


def test_readd_in_flight_survives_expiry(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = TimeSortedSet(r, key, clock=clock)
    s.add("job")
    first_score = s.score("job")
    assert s.claim(lease=1)
    clock.now += 0.5
    assert s.add("job") is True
    clock.now += 1
    assert len(s) == 1
    assert s.score("job") == first_score
    [again] = s.claim(lease=1)
    assert again.attempts == 2


def test_discard_cancels_readd_mark(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    [lease] = s.claim(lease=30)
    s.add("job")
    assert s.discard("job") is True
    assert s.discard("job") is False
    assert s.ack(lease) is True
    assert len(s) == 0


def test_max_attempts_moves_item_to_dead_letters(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, max_attempts=2)
    s.add("poison", 3)
    for attempt in (1, 2):
        [lease] = s.claim(lease=1)
        assert lease.attempts == attempt
        clock.now += 1
    assert len(s) == 0
    assert s.dead_letter_count() == 1
    assert s.dead_letters() == [DeadLetter(b"poison", 3.0, 2, "max_attempts", "poison")]
    assert s.requeue_dead_letters() == 1
    assert s.dead_letter_count() == 0
    [lease] = s.claim(lease=1)
    assert lease.attempts == 1


def test_release_counts_toward_max_attempts(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = SortedSet(r, key, max_attempts=1)
    s.add("job")
    [lease] = s.claim(lease=30)
    with caplog.at_level(logging.WARNING, logger="redset"):
        assert s.release(lease) is True
    assert "dead letters" in caplog.text
    assert len(s) == 0
    assert [letter.reason for letter in s.dead_letters()] == ["max_attempts"]


def test_claim_logs_expired_dead_letters(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, max_attempts=1)
    s.add_scored([("poison", 1), ("next", 2)])
    s.claim(lease=1)
    clock.now += 1
    with caplog.at_level(logging.WARNING, logger="redset"):
        [lease] = s.claim(lease=1)
    assert lease.item == "next"
    assert "b'poison'" in caplog.text
    assert s.dead_letter_count() == 1


def test_ack_resets_attempts(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, max_attempts=2)
    s.add("job")
    [lease] = s.claim(lease=30)
    s.release(lease)
    [lease] = s.claim(lease=30)
    assert lease.attempts == 2
    s.ack(lease)
    s.add("job")
    [lease] = s.claim(lease=30)
    assert lease.attempts == 1


def test_pop_resets_attempts(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    s.release(s.claim(lease=30)[0])
    assert s.pop() == "job"
    s.add("job")
    assert s.claim(lease=30)[0].attempts == 1


def test_undecodable_claim_goes_to_dead_letters(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff": 1, b"good": 2})
    [lease] = s.claim(2, lease=30)
    assert lease.item == "good"
    assert s.in_flight() == 1
    [letter] = s.dead_letters()
    assert letter == DeadLetter(b"\xff", 1.0, 1, "undecodable", None)


def test_claim_passes_undecodable_head(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff": 1, b"\xfe": 2, b"good": 3})
    # Without a timeout, claim(1) still goes on past members that go to
    # dead letters, as pop does.
    [lease] = s.claim(lease=30)
    assert lease.item == "good"
    assert s.dead_letter_count() == 2
    assert s.claim(lease=30) == []


@pytest.mark.parametrize("bad", [1, 2, 3])
def test_claim_fills_batch_past_dead_letters(
    r: redis.Redis, key: str, bad: int
) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff" * n: n for n in range(1, bad + 1)})
    r.zadd(key, {b"a": 10, b"b": 11, b"c": 12, b"d": 13})
    leases = s.claim(3, lease=30)
    assert [lease.item for lease in leases] == ["a", "b", "c"]
    assert len({lease.token for lease in leases}) == 3
    assert s.ack_many(leases) == 3
    assert r.zrange(key, 0, -1) == [b"d"]
    assert s.dead_letter_count() == bad


def test_claim_returns_what_is_left(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff": 1, b"a": 2, b"\xfe": 3})
    started = time.monotonic()
    [lease] = s.claim(3, lease=30, timeout=5)
    # Once a lease is held, claim does not wait for more.
    assert time.monotonic() - started < 4
    assert lease.item == "a"
    assert s.ack(lease) is True


class TickingClock(FakeClock):
    """A clock that moves 10 seconds on from each reading to the next."""

    def __call__(self) -> float:
        self.now += 10
        return self.now


@pytest.mark.timeout(30)  # the claim looped forever when burying failed
def test_claim_keeps_newest_lease_of_member(r: redis.Redis, key: str) -> None:
    # Each script reads a later time, so the lease on "a" from the first
    # round has ended when the second round claims again.
    s = SortedSet(r, key, clock=TickingClock())
    r.zadd(key, {b"\xff": 1, b"\xfe": 2, b"a": 3, b"b": 4, b"c": 5})
    leases = s.claim(3, lease=5)
    assert [lease.item for lease in leases] == ["a", "b"]
    [newest_a, lease_b] = leases
    assert newest_a.attempts == 2
    assert lease_b.attempts == 1
    assert r.zrange(key, 0, -1) == [b"c"]
    assert s.dead_letter_count() == 2


def bury_claimed(s: SortedSet[str], lease: Lease[bytes]) -> None:
    s._run(s._bury_op([(lease.member, None, lease.token)]))


def test_bury_after_lease_ended(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    raw = SortedSet(r, key, clock=clock, codec=BytesCodec())
    s = SortedSet(r, key, clock=clock)
    r.zadd(key, {b"\xff": 1, b"\xfe": 2})
    first, second = raw.claim(2, lease=5)
    clock.now += 10
    # Still in flight under the caller's token, though expired.
    bury_claimed(s, first)
    assert [letter.member for letter in s.dead_letters()] == [b"\xff"]
    # Back in the set after its lease ended: it stays for the next claim.
    assert len(s) == 1
    bury_claimed(s, second)
    assert r.zrange(key, 0, -1) == [b"\xfe"]
    assert s.claim(lease=5) == []
    assert s.dead_letter_count() == 2


@pytest.mark.parametrize(
    "then", ["hold", "release", "ack and add", "ack, add, release"]
)
def test_bury_skips_member_claimed_again(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture, then: str
) -> None:
    clock = FakeClock()
    raw = SortedSet(r, key, clock=clock, codec=BytesCodec())
    s = SortedSet(r, key, clock=clock)
    r.zadd(key, {b"\xff": 1})
    [stale] = raw.claim(lease=5)
    clock.now += 10
    [current] = raw.claim(lease=5)
    if then == "release":
        assert raw.release(current) is True
    elif then == "ack and add":
        assert raw.ack(current) is True
        raw.add(b"\xff", 2)
    elif then == "ack, add, release":
        # The ack deletes the delivery count, so the next claim counts 1
        # again, as the stale claim did.
        assert raw.ack(current) is True
        raw.add(b"\xff", 2)
        [again] = raw.claim(lease=5)
        assert again.attempts == stale.attempts
        assert raw.release(again) is True
    with caplog.at_level(logging.WARNING, logger="redset"):
        bury_claimed(s, stale)
    assert "does not decode" not in caplog.text
    assert s.dead_letter_count() == 0
    if then == "hold":
        assert raw.ack(current) is True
    else:
        assert r.zrange(key, 0, -1) == [b"\xff"]


class ReclaimingCodec:
    """Text, except that b"bad" fails to decode only after its lease ended
    and another client's script returned it to the set."""

    def __init__(self, clock: FakeClock, other: SortedSet[bytes]) -> None:
        self.clock = clock
        self.other = other

    def encode(self, value: str, /) -> bytes:
        return value.encode()

    def decode(self, data: bytes, /) -> str:
        if data == b"bad":
            self.clock.now += 10
            assert len(self.other) >= 1  # reclaims the expired lease
            raise ValueError("not a valid member")
        return data.decode()


@pytest.mark.parametrize("timeout", [None, 0.3])
def test_claim_stops_when_bury_misses(
    r: redis.Redis, key: str, timeout: float | None
) -> None:
    clock = FakeClock()
    other = SortedSet(r, key, clock=clock, codec=BytesCodec())
    s = SortedSet(r, key, clock=clock, codec=ReclaimingCodec(clock, other))
    r.zadd(key, {b"bad": 1})
    scripts = 0
    original = r.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        nonlocal scripts
        scripts += args[0] == "EVALSHA"
        if scripts > 200:
            raise RuntimeError("claim keeps claiming the same member")
        return original(*args, **options)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    r.execute_command = counting  # type: ignore[method-assign]  # counts commands
    try:
        assert s.claim(lease=5, timeout=timeout) == []
    finally:
        r.execute_command = original  # type: ignore[method-assign]
    # Without a timeout the claim returns at once. With one, it polls every
    # 50 ms and claims the member again each time.
    assert scripts < 40
    assert r.zrange(key, 0, -1) == [b"bad"]


def test_claim_timeout_bounds_dead_letter_rounds(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff" + b"%d" % n: n for n in range(3000)})
    logging.disable(logging.WARNING)  # one line per dead letter
    try:
        started = time.monotonic()
        assert s.claim(lease=5, timeout=0.05) == []
        elapsed = time.monotonic() - started
    finally:
        logging.disable(logging.NOTSET)
    # Each round moves one member and takes a round trip, so moving all 3000
    # takes far longer than the timeout: the claim stops before that.
    assert s.dead_letter_count() < 3000
    assert elapsed < 2


def test_popped_bury_keeps_later_delivery_count(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, max_attempts=1)
    raw = SortedSet(r, key, codec=BytesCodec(), max_attempts=1)
    r.zadd(key, {b"\xff": 1})
    [(member, score)] = raw._run(raw._pop_raw_op(1, None))
    # Added and claimed again before the popped copy reaches dead letters.
    raw.add(b"\xff", 2)
    [lease] = raw.claim(lease=30)
    s._run(s._dead_letter_op([(member, score)]))
    [letter] = s.dead_letters()
    assert letter.attempts == 0
    assert r.hgetall(s._lease_keys[ATTEMPTS]) == {b"\xff": b"1"}
    assert raw.ack(lease) is True


def test_claim_ack_duplicates_log_nothing(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b"])
    [lease] = s.claim(lease=30)
    with caplog.at_level(logging.WARNING, logger="redset"):
        [after] = s.claim(lease=30, ack=[lease, lease])
    assert after.item == "b"
    assert "finished" not in caplog.text


def test_dead_letters_limit_and_purge(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, max_attempts=1)
    s.add_scored([("a", 1), ("b", 2), ("c", 3)])
    for lease in s.claim(3, lease=30):
        s.release(lease)
    assert [letter.item for letter in s.dead_letters(limit=2)] == ["a", "b"]
    assert s.dead_letters(limit=0) == []
    for wrong in (True, 1.0, "1"):
        with pytest.raises(InvalidTypeError, match="limit must be an int"):
            s.dead_letters(limit=wrong)  # type: ignore[arg-type]  # checked at run time
    with pytest.raises(InvalidValueError, match="limit must not be negative"):
        s.dead_letters(limit=-1)
    assert s.requeue_dead_letters([b"b"]) == 1
    assert s.requeue_dead_letters([b"b"]) == 0
    assert s.requeue_dead_letters([]) == 0
    assert list(s) == ["b"]
    assert s.purge_dead_letters() == 2
    assert s.dead_letter_count() == 0
    with pytest.raises(InvalidTypeError):
        s.requeue_dead_letters(["a"])  # type: ignore[list-item]  # members are bytes


def test_claimed_acks_on_success(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    with s.claimed(lease=30) as lease:
        assert lease.item == "job"
        assert s.in_flight() == 1
    assert s.in_flight() == 0
    assert len(s) == 0
    with pytest.raises(EmptyError), s.claimed(lease=30, timeout=0.001):
        pass


def test_claimed_releases_on_error(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    with pytest.raises(RuntimeError), s.claimed(lease=30):
        raise RuntimeError("worker failed")
    assert s.in_flight() == 0
    assert list(s) == ["job"]


@pytest.mark.parametrize("timeout", [0.0005, 0.001, 0.1])
@pytest.mark.parametrize("cls", [SortedSet, ScheduledSet])
def test_blocking_claim_on_empty_set_returns(
    r: redis.Redis, key: str, timeout: float, cls: type[SortedSet[str]]
) -> None:
    s = cls(r, key)
    started = time.monotonic()
    assert s.claim(lease=30, timeout=timeout) == []
    assert s.claim(5, lease=30, timeout=timeout) == []
    assert time.monotonic() - started < 1.0


def test_blocking_claim_sees_expiring_lease(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    assert s.claim(lease=0.1)
    started = time.monotonic()
    [second] = s.claim(lease=30, timeout=2)
    assert time.monotonic() - started < 1.0
    assert second.attempts == 2


def test_blocking_pop_sees_expiring_lease(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    s.claim(lease=0.1)
    started = time.monotonic()
    assert s.pop(timeout=2) == "job"
    assert time.monotonic() - started < 1.0


@pytest.mark.single_server
def test_blocking_pop_polls_past_readded_item(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 1)
    [lease] = s.claim(lease=30)
    s.add("job", 2)
    # CONFIG RESETSTAT clears the counters of this test's private server.
    r.config_resetstat()
    with pytest.raises(EmptyError):
        s.pop(timeout=0.3)
    calls = {
        name.removeprefix("cmdstat_"): value["calls"]
        for name, value in r.info("commandstats").items()
    }
    # BZPOPMIN would take the in-flight item at once, so the wait polls
    # every 0.05 s instead.
    assert "bzpopmin" not in calls
    assert calls["evalsha"] <= 10
    assert s.score("job") == 2.0
    assert s.ack(lease) is True
    assert s.pop(timeout=0.3) == "job"


def test_blocking_pop_waits_for_lease_end(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 1)
    [lease] = s.claim(lease=30)

    seen: dict[str, object] = {}

    def readd_then_ack() -> None:
        time.sleep(0.2)
        # The waiting pop polls, because "job" is in flight.
        s.add("job", 2)
        time.sleep(0.3)
        seen["score"] = s.score("job")
        seen["acked"] = s.ack(lease)

    helper = threading.Thread(target=readd_then_ack)
    helper.start()
    started = time.monotonic()
    try:
        assert s.pop(timeout=3) == "job"
    finally:
        helper.join()
    assert time.monotonic() - started >= 0.5
    assert seen == {"score": 2.0, "acked": True}
    assert len(s) == 0


@pytest.mark.parametrize("policy", ["replace", "keep", "greater", "less"])
def test_settle_pop_keeps_score_in_set(r: redis.Redis, key: str, policy: str) -> None:
    """Put back a member BZPOPMIN took while the set held it again.

    BZPOPMIN cannot be paused at that moment, so the test runs the script
    that follows it directly, as a pop that took "job" at 7 would. The set
    keeps its own entry, whatever the policy, because the script cannot
    tell which of the two adds was the newer.
    """
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, update=policy)  # type: ignore[call-overload]  # a literal of UpdatePolicy
    s.add("job", 5)
    assert s.claim(lease=1)
    clock.now += 2
    assert len(s) == 1  # returns the expired lease's item at 5
    assert s._run(s._lease_script_op(SETTLE_BLOCKING_POP, b"job", 7.0)) == 0
    assert s.score("job") == 5.0


ClientType = TypeVar("ClientType", bound=redis.Redis)


@contextmanager
def client_like(r: redis.Redis, client_class: type[ClientType]) -> Iterator[ClientType]:
    """Yield a ``client_class`` client on a new pool to the server of ``r``."""
    pool = redis.ConnectionPool(
        connection_class=r.connection_pool.connection_class,
        **r.connection_pool.connection_kwargs,
    )
    client = client_class(connection_pool=pool)
    try:
        yield client
    finally:
        client.close()
        pool.disconnect()


class FailAfterBzpopmin(redis.Redis):
    """A client whose next script call after a BZPOPMIN reply fails once."""

    fail_script: bytes = b""
    armed = False

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.armed and args[0] == "EVALSHA" and args[1] == self.fail_script:
            self.armed = False
            raise redis.ConnectionError("connection dropped on purpose")
        reply = super().execute_command(*args, **options)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        if args[0] == "BZPOPMIN" and reply:
            self.armed = True
        return reply


@pytest.mark.single_server
@pytest.mark.parametrize("failing", ["settle", "pop"])
def test_blocking_take_restores_item_on_error(
    r: redis.Redis, key: str, failing: str
) -> None:
    with client_like(r, FailAfterBzpopmin) as client:
        client.fail_script = (
            SETTLE_BLOCKING_POP if failing == "settle" else POP
        ).sha_bytes
        s = SortedSet(client, key)
        assert s.take(1) == []  # loads the scripts
        timer = threading.Timer(0.2, lambda: r.zadd(key, {"x": 1}))
        timer.start()
        try:
            with pytest.raises(redis.ConnectionError):
                s.take(3, timeout=3)
        finally:
            timer.join()
    # "x" never reached the caller, so it is back in the set.
    assert r.zrange(key, 0, -1, withscores=True) == [(b"x", 1.0)]


def test_settle_pop_puts_back_in_flight_member(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    assert s._run(s._lease_script_op(SETTLE_BLOCKING_POP, b"job", 7.0)) == 0
    assert s.score("job") == 7.0
    assert s.claim(lease=30) == []
    assert s.ack(lease) is True
    assert s.pop() == "job"


def test_settle_pop_keeps_free_member(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    assert s.release(lease) is True
    assert r.zpopmin(key) == [(b"job", 5.0)]
    assert s._run(s._lease_script_op(SETTLE_BLOCKING_POP, b"job", 5.0)) == 1
    assert len(s) == 0
    # The delivery count was dropped, as after any pop.
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    assert lease.attempts == 1


def test_poll_hint_skips_in_flight_member(r: redis.Redis, key: str) -> None:
    clock = FakeClock(1000.0)
    s = ScheduledSet(r, key, clock=clock)
    s.add("x", at=999.0)
    [lease] = s.claim(lease=60)
    # Due and wanted again, but in flight until 1060.
    s.add("x", at=990.0)
    wait_flags = (b"1", b"1", b"1")  # due only, count 1, the caller waits
    now, lowest, deadline = s._run(s._lease_script_op(POP, *wait_flags))
    assert float(now) == 1000.0
    assert lowest is None or lowest is False
    assert float(deadline) == 1060.0
    s.add("y", at=1005.0)
    _, lowest, _ = s._run(s._lease_script_op(POP, *wait_flags))
    assert float(lowest) == 1005.0
    assert s.ack(lease) is True


class CountingScripts(redis.Redis):
    """A client that counts the scripts it runs."""

    scripts = 0

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if args[0] in ("EVALSHA", "EVAL"):
            self.scripts += 1
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated


@pytest.mark.single_server
@pytest.mark.parametrize("operation", ["pop", "claim"])
def test_wait_on_in_flight_due_item_polls_slowly(
    r: redis.Redis, key: str, operation: str
) -> None:
    with client_like(r, CountingScripts) as client:
        s = ScheduledSet(client, key)
        s.add("x")
        [lease] = s.claim(lease=60)
        s.add("x", delay=-10)
        client.scripts = 0
        if operation == "pop":
            with pytest.raises(EmptyError):
                s.pop(timeout=0.3)
        else:
            assert s.claim(lease=5, timeout=0.3) == []
        # Polls come every 50 ms, about 7 in 0.3 s. Polling at once again
        # and again, as when the in-flight item's due time counted, runs
        # hundreds.
        assert client.scripts < 30
        assert s.ack(lease) is True


def test_shortest_lease_is_one_millisecond(r: redis.Redis, key: str) -> None:
    clock = FakeClock(1_800_000_000.0)
    s = SortedSet(r, key, clock=clock)
    s.add("job")
    with pytest.raises(InvalidValueError, match=r"at least 0\.001 seconds"):
        s.claim(lease=0.0009)
    [lease] = s.claim(lease=0.001)
    assert lease.deadline > clock.now
    assert s.extend(lease, 0.001) is True
    assert s.ack(lease) is True


def test_claim_rejects_bad_arguments(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    for lease in (0, -1, 1e-7, 0.0009, float("nan"), float("inf"), 10**400):
        with pytest.raises(InvalidValueError):
            s.claim(lease=lease)
        with pytest.raises(InvalidValueError):
            s.extend(Lease("job", b"job", "token", 0.0, 1), lease)
    for wrong in ("10", True, None):
        with pytest.raises(InvalidTypeError):
            s.claim(lease=wrong)  # type: ignore[arg-type]  # checked at run time
    with pytest.raises(InvalidValueError):
        s.claim(-1, lease=10)
    with pytest.raises(InvalidTypeError):
        s.ack("job")  # type: ignore[arg-type]  # checked at run time
    with pytest.raises(InvalidValueError, match="max_attempts"):
        SortedSet(r, key, max_attempts=0)
    assert s.claim(0, lease=10) == []
    assert len(s) == 1


def test_clear_ends_leases_keeps_dead_letters(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, max_attempts=1)
    s.update(["a", "b", "c"])
    s.release(s.claim(lease=30)[0])
    [lease] = s.claim(lease=30)
    s.clear()
    assert len(s) == 0
    assert s.in_flight() == 0
    assert s.ack(lease) is False
    assert s.dead_letter_count() == 1


def test_wrong_type_of_lease_key_is_named(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job")
    lease_info_key = s._lease_keys[2]
    r.set(lease_info_key, "oops")
    with pytest.raises(WrongTypeError, match="not a hash"):
        s.claim(lease=10)


@pytest.mark.parametrize("operation", ["pop", "claim"])
def test_wrong_type_attempts_keeps_items(
    r: redis.Redis, key: str, operation: str
) -> None:
    # A failed script keeps its earlier writes, so the check must come before
    # the members leave the set.
    s = SortedSet(r, key)
    s.update(["a", "b"])
    s.release(s.claim(lease=30)[0])
    r.delete(s._lease_keys[3])
    r.set(s._lease_keys[3], "oops")
    with pytest.raises(WrongTypeError, match="not a hash"):
        if operation == "pop":
            s.pop()
        else:
            s.claim(lease=10)
    assert r.zrange(key, 0, -1) == [b"a", b"b"]


def test_corrupt_count_keeps_claim_batch(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2), ("c", 3)])
    r.hset(s._lease_keys[3], "b", "not a number")
    leases = s.claim(3, lease=30)
    # The count of "b" starts over, and the batch is not lost.
    assert [(lease.item, lease.attempts) for lease in leases] == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
    ]
    assert s.ack_many(leases) == 3


@pytest.mark.parametrize("max_attempts", [None, 1])
def test_corrupt_count_lease_still_ends(
    r: redis.Redis, key: str, max_attempts: int | None
) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, max_attempts=max_attempts)
    s.add("job", 1)
    [lease] = s.claim(lease=5)
    r.hset(s._lease_keys[3], "job", "1.5x")
    clock.now += 10
    # The count reads as 0, below any max_attempts, so the item returns.
    assert s.pop() == "job"
    assert s.dead_letter_count() == 0
    assert not s.ack(lease)


def test_corrupt_count_in_dead_letter(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff": 1})
    r.hset(s._lease_keys[3], b"\xff", "oops")
    assert s.claim(lease=30) == []
    [letter] = s.dead_letters()
    assert letter.reason == "undecodable"
    assert letter.attempts == 1


def test_dead_letters_read_corrupt_info(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    written = {
        b"a": b"abc",
        b"b": b"",
        b"c": b"1.5 x",
        b"d": b" ",
        b"e": b"\xff\xfe bad",
        b"f": b"4 max_attempts",
    }
    r.zadd(s._lease_keys[4], {member: i for i, member in enumerate(written)})
    for member, info in written.items():
        r.hset(s._lease_keys[5], member, info)
    # A value that does not start with a count keeps all of it as the reason.
    assert [(letter.attempts, letter.reason) for letter in s.dead_letters()] == [
        (0, "abc"),
        (0, ""),
        (0, "1.5 x"),
        (0, " "),
        (0, "\ufffd\ufffd bad"),
        (4, "max_attempts"),
    ]


def test_wrong_type_dead_info_keeps_lease(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, max_attempts=1)
    s.add("job", 1)
    s.claim(lease=5)
    clock.now += 10
    r.set(s._lease_keys[5], "oops")
    # The expired lease would go to dead letters, whose info hash is a string.
    with pytest.raises(WrongTypeError, match="not a hash"):
        s.claim(lease=5)
    assert r.zrange(s._lease_keys[1], 0, -1) == [b"job"]
    assert r.hkeys(s._lease_keys[2]) == [b"job"]
    r.delete(s._lease_keys[5])
    assert s.claim(lease=5) == []
    assert s.dead_letter_count() == 1


# Positions of the set's keys in lease_keys().
SET, LEASES, LEASE_INFO, ATTEMPTS, DEAD, DEAD_INFO = range(6)


def make_string(r: redis.Redis, name: str) -> None:
    r.delete(name)
    r.set(name, "oops")


@pytest.mark.parametrize("index", [SET, ATTEMPTS, DEAD, DEAD_INFO])
def test_release_wrong_type_keeps_lease(r: redis.Redis, key: str, index: int) -> None:
    # With max_attempts=1 the release would bury the item, so the dead-letter
    # keys are written too.
    s = SortedSet(r, key, max_attempts=1 if index in (DEAD, DEAD_INFO) else None)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    make_string(r, s._lease_keys[index])
    with pytest.raises(WrongTypeError):
        s.release(lease)
    r.delete(s._lease_keys[index])
    assert r.zrange(s._lease_keys[LEASES], 0, -1) == [b"job"]
    assert s.release(lease) is True


@pytest.mark.parametrize("through_claim", [False, True])
def test_ack_wrong_type_attempts_keeps_lease(
    r: redis.Redis, key: str, through_claim: bool
) -> None:
    s = SortedSet(r, key)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    make_string(r, s._lease_keys[ATTEMPTS])
    with pytest.raises(WrongTypeError, match="not a hash"):
        if through_claim:
            s.claim(lease=30, ack=lease)
        else:
            s.ack(lease)
    assert r.zrange(s._lease_keys[LEASES], 0, -1) == [b"job"]
    assert r.hkeys(s._lease_keys[LEASE_INFO]) == [b"job"]
    r.delete(s._lease_keys[ATTEMPTS])
    assert s.ack(lease) is True
    assert s.in_flight() == 0


@pytest.mark.parametrize("index", [SET, DEAD, DEAD_INFO])
def test_claim_ack_wrong_type_keeps_lease(r: redis.Redis, key: str, index: int) -> None:
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock, max_attempts=1)
    s.update(["job", "late"])
    [lease] = s.claim(lease=30)
    # "late" will have used up its one delivery, so the claim would move it
    # to dead letters after the ack.
    assert s.claim(lease=1)
    clock.now += 2
    make_string(r, s._lease_keys[index])
    with pytest.raises(WrongTypeError):
        s.claim(lease=30, ack=lease)
    r.delete(s._lease_keys[index])
    assert r.hkeys(s._lease_keys[LEASE_INFO]) == [b"job", b"late"]
    assert s.ack(lease) is True


@pytest.mark.parametrize("index", [DEAD, DEAD_INFO])
def test_purge_wrong_type_deletes_nothing(r: redis.Redis, key: str, index: int) -> None:
    s = SortedSet(r, key, max_attempts=1)
    s.add("job", 5)
    assert s.release(s.claim(lease=30)[0]) is True
    make_string(r, s._lease_keys[index])
    with pytest.raises(WrongTypeError):
        s.purge_dead_letters()
    assert r.get(s._lease_keys[index]) == b"oops"
    other = DEAD_INFO if index == DEAD else DEAD
    assert r.exists(s._lease_keys[other]) == 1


def test_claim_ack_ignores_dead_letters_without_max_attempts(
    r: redis.Redis, key: str
) -> None:
    # Without max_attempts nothing is written to the dead letters when a
    # lease ends, so their keys' types do not matter there.
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock)
    s.update(["job", "late", "next"])
    [lease] = s.claim(lease=30)
    assert s.claim(lease=1)
    clock.now += 2
    make_string(r, s._lease_keys[DEAD])
    leases = s.claim(2, lease=30, ack=lease)
    assert sorted(held.item for held in leases) == ["late", "next"]
    assert s.ack(lease) is False


def test_ack_wrong_type_leases_keeps_counts(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    make_string(r, s._lease_keys[LEASES])
    with pytest.raises(WrongTypeError):
        s.ack(lease)
    assert r.hgetall(s._lease_keys[ATTEMPTS]) == {b"job": b"1"}


@pytest.mark.parametrize("operation", ["dead_letters", "dead_letter_count"])
@pytest.mark.parametrize("index", [DEAD, DEAD_INFO])
def test_dead_letter_read_wrong_type_keeps_lease(
    r: redis.Redis, key: str, operation: str, index: int
) -> None:
    # Without max_attempts, an ended lease never goes to dead letters, so
    # these reads must check the dead-letter keys themselves.
    clock = FakeClock()
    s = SortedSet(r, key, clock=clock)
    s.add("job", 5)
    s.claim(lease=1)
    clock.now += 2
    make_string(r, s._lease_keys[index])
    with pytest.raises(WrongTypeError):
        getattr(s, operation)()
    assert r.zrange(s._lease_keys[LEASES], 0, -1) == [b"job"]
    assert r.zrange(key, 0, -1) == []


def test_discard_wrong_type_keeps_count(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("job", 5)
    assert s.release(s.claim(lease=30)[0]) is True
    make_string(r, key)
    with pytest.raises(WrongTypeError):
        s.discard("job")
    assert r.hgetall(s._lease_keys[ATTEMPTS]) == {b"job": b"1"}


@pytest.mark.parametrize("index", [SET, DEAD_INFO])
def test_requeue_wrong_type_keeps_dead_letter(
    r: redis.Redis, key: str, index: int
) -> None:
    s = SortedSet(r, key, max_attempts=1)
    s.add("job", 5)
    [lease] = s.claim(lease=30)
    assert s.release(lease) is True
    make_string(r, s._lease_keys[index])
    with pytest.raises(WrongTypeError):
        s.requeue_dead_letters()
    r.delete(s._lease_keys[index])
    assert r.zrange(s._lease_keys[DEAD], 0, -1) == [b"job"]


@pytest.mark.parametrize("index", [DEAD, DEAD_INFO])
def test_bury_wrong_type_keeps_claimed_member(
    r: redis.Redis, key: str, index: int
) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff": 1})
    make_string(r, s._lease_keys[index])
    # The claim succeeds, then moving the undecodable member fails.
    with pytest.raises(WrongTypeError):
        s.claim(lease=30)
    r.delete(s._lease_keys[index])
    assert r.zrange(s._lease_keys[LEASES], 0, -1) == [b"\xff"]
    assert r.zrange(s._lease_keys[DEAD], 0, -1) == []


# More members than Lua's unpack() returns at once (LUAI_MAXCSTACK, 8000 in
# Lua 5.1), so removing them all takes ZREM calls in slices.
MANY = 9000


@pytest.mark.parametrize("in_flight", [False, True])
def test_due_take_of_many(r: redis.Redis, key: str, in_flight: bool) -> None:
    clock = FakeClock(100_000.0)
    s = ScheduledSet(r, key, clock=clock)
    s.add_scored([(f"m{n:05d}", float(n)) for n in range(MANY)])
    s.add("edge")  # due exactly now
    s.add("late", at=100_000.001)
    first = 0
    if in_flight:
        # With a lease in flight, the pop script takes its full path.
        [lease] = s.claim(lease=60)
        assert lease.item == "m00000"
        first = 1
    items = s.take(MANY + 5)
    assert items[: MANY - first] == [f"m{n:05d}" for n in range(first, MANY)]
    assert items[MANY - first :] == ["edge"]
    assert [item for item, _ in s.items()] == ["late"]


async def test_async_lease_cycle(ar: redis.asyncio.Redis, key: str) -> None:
    clock = FakeClock()
    s = redset.asyncio.SortedSet(ar, key, clock=clock, max_attempts=2)
    await s.update(["a", "b"])
    leases = await s.claim(2, lease=5)
    assert [lease.item for lease in leases] == ["a", "b"]
    assert isinstance(leases[0], Lease)
    assert await s.in_flight() == 2
    assert await s.extend(leases[0], 10) is True
    assert await s.ack(leases[0]) is True
    assert await s.release(leases[1]) is True
    assert await s.ack_many(leases) == 0
    async with s.claimed(lease=5) as lease:
        assert lease.item == "b"
        assert lease.attempts == 2
    assert await s.count() == 0
    await s.add("c")
    [lease] = await s.claim(lease=1)
    clock.now += 1
    [lease] = await s.claim(lease=1)
    clock.now += 1
    assert await s.dead_letter_count() == 1
    [letter] = await s.dead_letters()
    assert letter.attempts == 2
    assert await s.requeue_dead_letters() == 1
    assert await s.count() == 1
    await s.add("d")
    [lease] = await s.claim(lease=5)
    [after] = await s.claim(lease=5, ack=lease)
    assert (lease.item, after.item) == ("c", "d")
    assert await s.in_flight() == 1
    await s.clear()
    assert await s.purge_dead_letters() == 0


async def test_async_blocking_claim_returns(ar: redis.asyncio.Redis, key: str) -> None:
    s = redset.asyncio.ScheduledSet(ar, key)
    started = time.monotonic()
    for timeout in (0.0005, 0.001, 0.1):
        assert await s.claim(lease=10, timeout=timeout) == []
    with pytest.raises(EmptyError):
        async with s.claimed(lease=10, timeout=0.001):
            pass
    assert time.monotonic() - started < 1.0


async def test_async_claimed_releases_on_error(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = redset.asyncio.SortedSet(ar, key)
    await s.add("job")
    with pytest.raises(RuntimeError):
        async with s.claimed(lease=30):
            raise RuntimeError("worker failed")
    assert await s.in_flight() == 0
    assert await s.count() == 1
